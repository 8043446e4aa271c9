// The bus on /metrics: ocp_bus_up is 1 while events published now reach
// every node, 0 while Redis is unreachable (events are then kept and
// published when it is back; see redis-bus.ts); ocp_bus_events_received_total
// counts the events this node received by type, which shows that events for
// device sessions reach only the nodes holding them.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { NotificationBus } from './bus.ts';

export function registerBusMetrics(registry: Registry, bus: NotificationBus): void {
  new Gauge({
    name: 'ocp_bus_up',
    help: 'whether the notification bus between server nodes is connected (1) or down (0)',
    registers: [registry],
    collect() {
      this.set(bus.up ? 1 : 0);
    },
  });
  new Counter({
    name: 'ocp_bus_events_received_total',
    help: 'bus events this node received, by type (printer, ccs-device and ccs-sender only on the nodes holding their sessions)',
    labelNames: ['type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [type, count] of bus.received) this.inc({ type }, count);
    },
  });
}
