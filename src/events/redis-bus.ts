// The notification bus across server nodes. An event for a device session
// (bus.ts routingKeysOf: a push subscriber, a CCS device, a CCS sender) goes
// only to the nodes that claimed its routing key, on their own channel
// `<channel>:node:<nodeId>` (the registry: ./redis-routes.ts); other events
// (revocations, console changes) go to every node on `<channel>`. Either way
// an event reaches each node it is for exactly once, the publisher included.
// What is published in one turn of the event loop goes in one round trip to
// Redis and reaches each node as one message, in the order published.
//
// Redis going away never fails a caller: the change an event announces is
// already in the store, so an event that cannot be published is kept (once,
// however often it recurs; without the CCS messages it may carry, which wait
// in the store) and published when the connection is back. A node
// whose connection was interrupted registers its claims again (Redis may
// have restarted empty, or its claims expired meanwhile) and only then
// re-reads the store for what it serves (onResumed), since events published
// meanwhile never reached it.
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import { routingKeysOf, withoutMessages, type BusEvent, type BusHandler, type NotificationBus } from './bus.ts';
import { RouteRegistry } from './redis-routes.ts';

const DEFAULT_CHANNEL = 'ocp:notifications';
/** How long a node's claims live in Redis unless refreshed (--bus-registry-ttl). */
const DEFAULT_REGISTRY_TTL_MS = 30_000;
/**
 * The most JSON one script run carries: a turn's events beyond it go in
 * further runs (each event carries at most --ccs-max-pending messages).
 */
const MAX_BATCH_BYTES = 1024 * 1024;

/** An event waiting for the end of this turn of the event loop to be sent. */
interface Outgoing {
  event: BusEvent;
  message: string;
  /** Its routing keys; undefined for every node. */
  keys: string[] | undefined;
  sent: () => void;
}

export interface RedisBusOptions {
  /** This node's id; without it, NotificationBus.join names the node later. */
  nodeId?: string;
  /** Lifetime of this node's claims in Redis; they are refreshed every third of it. */
  registryTtlMs?: number;
}

export class RedisBus implements NotificationBus {
  private readonly handlers = new Set<BusHandler>();
  private readonly resumeHandlers = new Set<() => void>();
  readonly received = new Map<BusEvent['type'], number>();
  /** Events not yet published, by their JSON: each is a hint, so one copy is enough. */
  private readonly unsent = new Map<string, BusEvent>();
  /** Published in this turn of the event loop, sent together at its end (sendOutbox). */
  private outbox: Outgoing[] = [];
  private flushing: Promise<void> | undefined;
  /** Events for this node may have been lost (a connection dropped, a registration failed): register again, then re-read. */
  private interrupted = false;
  private recovering: Promise<void> | undefined;
  private readonly refreshTimer: NodeJS.Timeout;
  private joined: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly routes: RouteRegistry,
    private readonly log: Logger,
    registryTtlMs: number,
  ) {
    subscriber.on('message', (_channel: string, message: string) => this.deliver(message));
    publisher.on('ready', () => {
      void this.publishUnsent();
      this.recover();
    });
    for (const client of [publisher, subscriber]) client.on('close', () => (this.interrupted = true));
    // ioredis resubscribes (the broadcast and the node channel) before 'ready'.
    subscriber.on('ready', () => this.recover());
    this.refreshTimer = setInterval(() => this.refresh(), Math.max(1, Math.floor(registryTtlMs / 3))).unref();
  }

  /**
   * `url` is a redis:// URL; its `channel` query parameter names the Redis
   * channel (and prefixes the registry's keys), so that several clusters can
   * share one Redis (Redis pub/sub ignores database numbers).
   */
  static async connect(url: string, log: Logger, options: RedisBusOptions = {}): Promise<RedisBus> {
    const parsed = new URL(url);
    const channel = parsed.searchParams.get('channel') ?? DEFAULT_CHANNEL;
    parsed.searchParams.delete('channel');
    const clientOptions = { lazyConnect: true, maxRetriesPerRequest: 2 };
    const publisher = new Redis(parsed.toString(), clientOptions);
    const subscriber = new Redis(parsed.toString(), clientOptions);
    for (const client of [publisher, subscriber]) client.on('error', (error: Error) => log.warn({ err: error.message }, 'redis bus'));
    try {
      await Promise.all([publisher.connect(), subscriber.connect()]);
      await subscriber.subscribe(channel);
    } catch (error) {
      // Left alone, the clients would keep reconnecting.
      publisher.disconnect();
      subscriber.disconnect();
      throw error;
    }
    const ttlMs = options.registryTtlMs ?? DEFAULT_REGISTRY_TTL_MS;
    const bus = new RedisBus(publisher, subscriber, channel, new RouteRegistry(publisher, channel, ttlMs, undefined), log, ttlMs);
    if (options.nodeId !== undefined) await bus.join(options.nodeId);
    return bus;
  }

  get up(): boolean {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready';
  }

  join(nodeId: string): Promise<void> {
    this.joined ??= (async () => {
      await this.subscriber.subscribe(this.routes.nodeChannel(nodeId));
      this.routes.nodeId = nodeId;
      // Claims made before the node had its name.
      await this.routes.register();
    })();
    return this.joined;
  }

  async claim(key: string): Promise<void> {
    this.routes.count(key);
    await this.joined;
    // Not connected: registered by recover() once the bus is back, before the store is re-read.
    if (this.publisher.status !== 'ready' || this.routes.nodeId === undefined) return;
    try {
      await this.routes.register([key]);
    } catch (error) {
      this.log.warn({ err: (error as Error).message, key }, 'redis bus: could not register a routing key; registered again and re-read on the next refresh');
      this.interrupted = true;
    }
  }

  release(key: string): void {
    if (!this.routes.uncount(key) || this.publisher.status !== 'ready') return;
    // A claim left behind expires within the TTL; meanwhile its events are dropped here.
    this.routes.unregister([key]).catch(() => {});
  }

  /** A message on this node's channels: one event, or an array of them (./redis-routes.ts). */
  private deliver(message: string): void {
    let events: BusEvent[];
    try {
      const parsed = JSON.parse(message) as BusEvent | BusEvent[];
      events = Array.isArray(parsed) ? parsed : [parsed];
    } catch {
      this.log.warn('redis bus: dropped a message that is not JSON');
      return;
    }
    for (const event of events) {
      this.received.set(event.type, (this.received.get(event.type) ?? 0) + 1);
      for (const handler of this.handlers) handler(event);
    }
  }

  async publish(event: BusEvent): Promise<void> {
    const message = JSON.stringify(event);
    // While disconnected, ioredis would queue the command and reject it after its retries: keep it here instead.
    if (this.publisher.status !== 'ready' || this.unsent.size) {
      this.keep(message, event);
      if (this.publisher.status === 'ready') await this.publishUnsent();
      return;
    }
    await new Promise<void>((sent) => {
      if (this.outbox.push({ event, message, keys: routingKeysOf(event), sent }) === 1) setImmediate(() => this.sendOutbox());
    });
  }

  /**
   * Sends this turn's events in order: each run of targeted events in one
   * script run (up to MAX_BATCH_BYTES), each event for every node as a
   * PUBLISH, all on one connection without waiting in between, so that Redis
   * takes them in the order published.
   */
  private sendOutbox(): void {
    const outbox = this.outbox;
    this.outbox = [];
    let run: Outgoing[] = [];
    let runBytes = 0;
    const sendRun = () => {
      if (run.length) void this.send(run);
      [run, runBytes] = [[], 0];
    };
    for (const outgoing of outbox) {
      if (outgoing.keys === undefined) {
        sendRun();
        void this.send([outgoing]);
        continue;
      }
      if (runBytes + outgoing.message.length > MAX_BATCH_BYTES) sendRun();
      run.push(outgoing);
      runBytes += outgoing.message.length;
    }
    sendRun();
  }

  /** Sends events (several: all targeted) and settles their publish(); what fails is kept until the bus is back. */
  private async send(batch: Outgoing[]): Promise<void> {
    try {
      await this.sendNow(batch);
    } catch (error) {
      this.log.warn({ err: (error as Error).message, events: batch.length }, 'redis bus: publish failed; kept until the bus is back');
      for (const { message, event } of batch) this.keep(message, event);
    }
    for (const { sent } of batch) sent();
  }

  /** To the nodes holding the events' sessions (none: nobody), or to every node. */
  private async sendNow(batch: ReadonlyArray<Pick<Outgoing, 'keys' | 'message'>>): Promise<void> {
    const [first] = batch;
    if (batch.length === 1 && first!.keys === undefined) await this.publisher.publish(this.channel, first!.message);
    else await this.routes.route(batch as Array<{ keys: string[]; message: string }>);
  }

  /** A kept event is a hint (withoutMessages): its messages wait in the store, re-read on resuming. */
  private keep(message: string, event: BusEvent): void {
    if (this.closed) return;
    const hint = withoutMessages(event);
    this.unsent.set(hint === event ? message : JSON.stringify(hint), hint);
  }

  /** Publishes the kept events, one pass at a time; what fails again stays for the next 'ready'. */
  private publishUnsent(): Promise<void> {
    this.flushing ??= (async () => {
      if (this.unsent.size) this.log.info({ events: this.unsent.size }, 'redis bus: back; publishing the events kept meanwhile');
      while (this.unsent.size && this.publisher.status === 'ready') {
        const [message, event] = this.unsent.entries().next().value as [string, BusEvent];
        try {
          await this.sendNow([{ keys: routingKeysOf(event), message }]);
          this.unsent.delete(message);
        } catch (error) {
          this.log.warn({ err: (error as Error).message, event }, 'redis bus: publish failed again; kept');
          return;
        }
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /** Every third of the TTL: this node's claims live another TTL (or, after an interruption, recover()). */
  private refresh(): void {
    if (this.interrupted) return this.recover();
    if (this.publisher.status !== 'ready') return;
    this.routes.register().catch((error: Error) => {
      this.log.warn({ err: error.message, keys: this.routes.claims.size }, 'redis bus: could not refresh the routing registry; retried on the next refresh');
      this.interrupted = true;
    });
  }

  /**
   * After an interruption, once both connections are back: the subscription
   * is in place (the PING round trip), this node's claims are registered
   * again, and only then is the store re-read (onResumed), so nothing
   * published from then on is missed.
   */
  private recover(): void {
    if (!this.interrupted || this.closed || !this.up || this.recovering) return;
    this.interrupted = false;
    this.recovering = (async () => {
      try {
        await this.subscriber.ping();
        await this.routes.register();
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, 'redis bus: could not register this node again; retried on the next refresh');
        this.interrupted = true;
        return;
      }
      this.resumed();
    })().finally(() => (this.recovering = undefined));
  }

  private resumed(): void {
    if (this.closed) return;
    this.log.info({ keys: this.routes.claims.size }, 'redis bus: back and registered; re-reading what this node serves');
    for (const handler of this.resumeHandlers) handler();
  }

  subscribe(handler: BusHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onResumed(handler: () => void): () => void {
    this.resumeHandlers.add(handler);
    return () => this.resumeHandlers.delete(handler);
  }

  /** Both connections must be up: the publisher to send, the subscriber to hear other nodes. */
  async check(): Promise<void> {
    if (this.subscriber.status !== 'ready') throw new Error(`redis subscriber ${this.subscriber.status}`);
    await this.publisher.ping();
  }

  describe(): string {
    const node = this.routes.nodeId === undefined ? '' : `; node ${this.routes.nodeId} holds ${this.routes.claims.size} routing keys`;
    return `redis publisher ${this.publisher.status}, subscriber ${this.subscriber.status}${node}`;
  }

  /** A node leaving takes its claims out of the registry at once (a killed one's expire). */
  async close(): Promise<void> {
    // This turn's events go first (a draining node announces what its devices had in flight).
    this.sendOutbox();
    this.closed = true;
    clearInterval(this.refreshTimer);
    this.handlers.clear();
    this.resumeHandlers.clear();
    this.unsent.clear();
    this.subscriber.disconnect();
    if (this.publisher.status === 'ready') await this.routes.unregister([...this.routes.claims.keys()]).catch(() => {});
    this.routes.claims.clear();
    await this.publisher.quit().catch(() => this.publisher.disconnect());
  }
}
