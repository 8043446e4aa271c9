// The notification bus across server nodes: every node publishes to and
// subscribes to one Redis channel, so a device connected to any node hears of
// a change made through any other. Each event reaches every node exactly once,
// the publishing node included (it gets its own message back from Redis).
//
// Redis going away never fails a caller: the change an event announces is
// already in the store, so an event that cannot be published is kept (once,
// however often it recurs) and published when the connection is back, and a
// node whose subscription was interrupted re-reads the store for what it
// serves (onResumed), since events published meanwhile never reached it.
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import type { BusEvent, BusHandler, NotificationBus } from './bus.ts';

const DEFAULT_CHANNEL = 'ocp:notifications';

export class RedisBus implements NotificationBus {
  private readonly handlers = new Set<BusHandler>();
  private readonly resumeHandlers = new Set<() => void>();
  /** Events not yet published, by their JSON: each is a hint, so one copy is enough. */
  private readonly unsent = new Map<string, BusEvent>();
  private flushing: Promise<void> | undefined;
  private subscriberLost = false;
  private closed = false;

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly log: Logger,
  ) {
    subscriber.on('message', (_channel: string, message: string) => this.deliver(message));
    publisher.on('ready', () => void this.publishUnsent());
    subscriber.on('close', () => (this.subscriberLost = true));
    // ioredis resubscribes before 'ready'; the PING round trip makes sure the
    // subscription is in place before the store is re-read.
    subscriber.on('ready', () => {
      if (!this.subscriberLost) return;
      this.subscriberLost = false;
      void subscriber.ping().catch(() => {}).then(() => this.resumed());
    });
  }

  /**
   * `url` is a redis:// URL; its `channel` query parameter names the Redis
   * channel, so that several clusters can share one Redis (Redis pub/sub
   * ignores database numbers).
   */
  static async connect(url: string, log: Logger): Promise<RedisBus> {
    const parsed = new URL(url);
    const channel = parsed.searchParams.get('channel') ?? DEFAULT_CHANNEL;
    parsed.searchParams.delete('channel');
    const options = { lazyConnect: true, maxRetriesPerRequest: 2 };
    const publisher = new Redis(parsed.toString(), options);
    const subscriber = new Redis(parsed.toString(), options);
    for (const client of [publisher, subscriber]) client.on('error', (error: Error) => log.warn({ err: error.message }, 'redis bus'));
    await Promise.all([publisher.connect(), subscriber.connect()]);
    await subscriber.subscribe(channel);
    return new RedisBus(publisher, subscriber, channel, log);
  }

  get up(): boolean {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready';
  }

  private deliver(message: string): void {
    let event: BusEvent;
    try {
      event = JSON.parse(message) as BusEvent;
    } catch {
      this.log.warn('redis bus: dropped a message that is not JSON');
      return;
    }
    for (const handler of this.handlers) handler(event);
  }

  async publish(event: BusEvent): Promise<void> {
    const message = JSON.stringify(event);
    // While disconnected, ioredis would queue the command and reject it after its retries: keep it here instead.
    if (this.publisher.status !== 'ready' || this.unsent.size) {
      this.keep(message, event);
      if (this.publisher.status === 'ready') await this.publishUnsent();
      return;
    }
    try {
      await this.publisher.publish(this.channel, message);
    } catch (error) {
      this.log.warn({ err: (error as Error).message, event }, 'redis bus: publish failed; kept until the bus is back');
      this.keep(message, event);
    }
  }

  private keep(message: string, event: BusEvent): void {
    if (!this.closed) this.unsent.set(message, event);
  }

  /** Publishes the kept events, one pass at a time; what fails again stays for the next 'ready'. */
  private publishUnsent(): Promise<void> {
    this.flushing ??= (async () => {
      if (this.unsent.size) this.log.info({ events: this.unsent.size }, 'redis bus: back; publishing the events kept meanwhile');
      while (this.unsent.size && this.publisher.status === 'ready') {
        const [message, event] = this.unsent.entries().next().value as [string, BusEvent];
        try {
          await this.publisher.publish(this.channel, message);
          this.unsent.delete(message);
        } catch (error) {
          this.log.warn({ err: (error as Error).message, event }, 'redis bus: publish failed again; kept');
          return;
        }
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private resumed(): void {
    if (this.closed) return;
    this.log.info('redis bus: subscription back; re-reading what this node serves');
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
    return `redis publisher ${this.publisher.status}, subscriber ${this.subscriber.status}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
    this.resumeHandlers.clear();
    this.unsent.clear();
    this.subscriber.disconnect();
    await this.publisher.quit().catch(() => this.publisher.disconnect());
  }
}
