// Prometheus metrics of one XMPP server instance, read from its counters when
// scraped (nothing is done per stanza beyond incrementing a number).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { XmppServer } from './server.ts';

/** Registers the metrics of `server` under `prefix` (e.g. ocp_xmpp, ocp_ccs). */
export function registerXmppMetrics(registry: Registry, server: XmppServer, prefix: string): void {
  const byListener = (name: string, help: string, read: () => Record<string, number>) =>
    new Gauge({
      name,
      help,
      labelNames: ['listener'],
      registers: [registry],
      collect() {
        for (const [listener, value] of Object.entries(read())) this.set({ listener }, value);
      },
    });
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  byListener(`${prefix}_connections`, 'Open client connections', () => server.stats.connections);
  byListener(`${prefix}_sessions`, 'Bound client sessions', () => server.stats.sessions);
  counter(`${prefix}_stanzas_received_total`, 'Stanzas received from clients', () => server.stats.stanzasIn);
  counter(`${prefix}_stanzas_sent_total`, 'Stanzas sent to clients', () => server.stats.stanzasOut);
  counter(`${prefix}_auth_failures_total`, 'Failed SASL authentications', () => server.stats.authFailures);
  new Counter({
    name: `${prefix}_events_total`,
    help: 'Events counted by server modules (e.g. push_notifications_sent)',
    labelNames: ['event'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [event, value] of Object.entries(server.stats.counters)) this.inc({ event }, value);
    },
  });
}
