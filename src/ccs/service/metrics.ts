// The CCS on /metrics: messages, ACKs and NACKs exchanged with app servers
// and devices over XMPP (counted by the hubs, ./counters.ts), and the durable
// queues' depths read from the store when scraped (the same on every node).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db } from '../../store/db.ts';
import type { CcsCounters } from './counters.ts';

export function registerCcsMetrics(registry: Registry, sources: { counters: CcsCounters; db: Db }): void {
  new Counter({
    name: 'ocp_ccs_messages_total',
    help: 'CCS stanzas exchanged over XMPP, by peer (app_server, device), direction (in, out) and type (message, ack, nack)',
    labelNames: ['peer', 'direction', 'type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const { peer, direction, type, value } of sources.counters.all()) this.inc({ peer, direction, type }, value);
    },
  });
  new Counter({
    name: 'ocp_ccs_queue_reads_total',
    help: 'Reads of the messages pending for one device (downstream) or one sender (upstream): on attaching a session, after a bus outage, and for announcements too large to carry the messages',
    labelNames: ['queue'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [queue, value] of Object.entries(sources.counters.queueReads)) this.inc({ queue }, value);
    },
  });
  new Gauge({
    name: 'ocp_ccs_queued_messages',
    help: 'CCS messages stored and not yet ACKed: downstream (for devices) and upstream (upstream messages and receipts for app servers)',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      const [downstream, upstream] = await Promise.all([
        sources.db.selectFrom('ccs_downstream').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
        // ACKed upstream rows are tombstones (queues.ts UPSTREAM_RESEND_WINDOW_MS), not queued.
        sources.db.selectFrom('ccs_upstream').where('acked_at', 'is', null).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow(),
      ]);
      this.set({ queue: 'downstream' }, Number(downstream.count));
      this.set({ queue: 'upstream' }, Number(upstream.count));
    },
  });
}
