// The Cloud Connection Server as one object: senders, registrations, the
// durable queues, the downstream pipeline and the two hubs (devices, app
// servers), plus the sweeper that drops expired messages. The XMPP glue
// (./xmpp.ts) and the HTTP routes (./http.ts) sit on top of it.
import type { Db } from '../../store/db.ts';
import type { Logger } from '../../log.ts';
import type { NotificationBus } from '../../events/bus.ts';
import { Senders } from './senders.ts';
import { Registrations } from './registrations.ts';
import { MessageQueues } from './queues.ts';
import { RateLimiter } from './rate-limit.ts';
import { DeviceHub } from './devices.ts';
import { DownstreamPipeline } from './downstream.ts';
import { AppServerHub } from './appservers.ts';
import { CcsCounters } from './counters.ts';

/** Accepted message ids are remembered this long for deduplication (§5). */
export const DEDUP_WINDOW_MS = 24 * 3600 * 1000;
const SWEEP_INTERVAL_MS = 30_000;

export interface CcsServiceOptions {
  db: Db;
  log: Logger;
  bus: NotificationBus;
  domain: string;
  maxPending: number;
  maxJsonDepth: number;
  deviceRatePerMinute: number;
  drainGraceMs: number;
  now?: () => number;
}

export class CcsService {
  readonly senders: Senders;
  readonly registrations: Registrations;
  readonly queues: MessageQueues;
  readonly devices: DeviceHub;
  readonly downstream: DownstreamPipeline;
  readonly apps: AppServerHub;
  /** Messages, ACKs and NACKs exchanged, for /metrics. */
  readonly counters = new CcsCounters();
  private readonly rates: RateLimiter[];
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: CcsServiceOptions) {
    const { db, log, bus, now } = options;
    this.senders = new Senders(db, now);
    this.registrations = new Registrations(db, now);
    this.queues = new MessageQueues(db, now, this.counters);
    // The hubs reach each other through these arrows (receipts and upstream go to apps).
    let apps: AppServerHub | undefined;
    this.devices = new DeviceHub({
      queues: this.queues,
      registrations: this.registrations,
      bus,
      log,
      domain: options.domain,
      maxPending: options.maxPending,
      maxJsonDepth: options.maxJsonDepth,
      forApps: (rows) => apps?.offer(rows),
      counters: this.counters,
      now,
    });
    const deviceRate = new RateLimiter(options.deviceRatePerMinute, now);
    const topicRate = new RateLimiter(options.deviceRatePerMinute, now);
    this.rates = [deviceRate, topicRate];
    this.downstream = new DownstreamPipeline({ queues: this.queues, registrations: this.registrations, devices: this.devices, deviceRate, topicRate, now });
    this.apps = apps = new AppServerHub({ queues: this.queues, downstream: this.downstream, bus, log, maxPending: options.maxPending, maxJsonDepth: options.maxJsonDepth, drainGraceMs: options.drainGraceMs, counters: this.counters, now });
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS).unref();
  }

  /** Drops expired messages and old dedup records (TTL, §3). */
  async sweep(): Promise<void> {
    try {
      for (const rate of this.rates) rate.sweep();
      const expired = await this.queues.expire(DEDUP_WINDOW_MS);
      if (expired.downstream || expired.upstream) this.options.log.debug(expired, 'ccs: expired messages dropped');
    } catch (error) {
      this.options.log.error({ err: error }, 'ccs: sweeping expired messages failed');
    }
  }

  /** Drains app-server connections, then device sessions (their last ACKs), then waits for every pending write. */
  async shutdown(drainGraceMs: number): Promise<void> {
    clearInterval(this.sweeper);
    await this.apps.drainAll(drainGraceMs);
    await this.devices.drain(drainGraceMs);
    await this.flush();
    this.devices.close();
    this.apps.close();
  }

  /** Waits until everything received so far is written. */
  async flush(): Promise<void> {
    await this.downstream.idle();
    await Promise.all([this.devices.flush(), this.apps.flush()]);
  }
}
