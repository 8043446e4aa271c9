// The notification bus across server nodes: every node publishes to and
// subscribes to one Redis channel, so a device connected to any node hears of
// a change made through any other. Each event reaches every node exactly once,
// the publishing node included (it gets its own message back from Redis).
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';
import type { BusEvent, BusHandler, NotificationBus } from './bus.ts';

const DEFAULT_CHANNEL = 'ocp:notifications';

export class RedisBus implements NotificationBus {
  private readonly handlers = new Set<BusHandler>();

  private constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly log: Logger,
  ) {
    subscriber.on('message', (_channel: string, message: string) => this.deliver(message));
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
    await this.publisher.publish(this.channel, JSON.stringify(event));
  }

  subscribe(handler: BusHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
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
    this.handlers.clear();
    this.subscriber.disconnect();
    await this.publisher.quit().catch(() => this.publisher.disconnect());
  }
}
