// The bus's health on /metrics: ocp_bus_up is 1 while events published now
// reach every node, 0 while Redis is unreachable (events are then kept and
// published when it is back; see redis-bus.ts).
import { Gauge, type Registry } from 'prom-client';
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
}
