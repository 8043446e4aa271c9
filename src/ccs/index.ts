// Wires the Cloud Connection Server into `ocp server`: HTTP routes before the
// HTTP port opens, then the app-server listeners (`ccs` direct TLS, and the
// test-only `ccs-plain`) and the device module on the c2s server.
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../server/index.ts';
import type { XmppServer } from '../xmpp/index.ts';
import { CcsService } from './service.ts';
import { registerDeviceRoutes } from './device-http.ts';
import { registerSendRoutes } from './send-http.ts';
import { registerAdminRoutes } from './admin-http.ts';
import { createCcsXmppServer, deviceModule } from './xmpp.ts';

/** A shutdown does not wait the whole drain grace: app servers reconnect elsewhere at once. */
const SHUTDOWN_DRAIN_MS = 5000;

export interface Ccs {
  service: CcsService;
  /** Starts the app-server listeners and adds the device module to `c2s`; returns the ports. */
  listen(c2s: XmppServer): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export function createCcs(context: ServerContext, http: FastifyInstance): Ccs {
  const { config, log } = context;
  const service = new CcsService({
    db: context.store.db,
    log,
    bus: context.bus,
    domain: config.domain,
    maxPending: config.ccsMaxPending,
    deviceRatePerMinute: config.ccsDeviceRate,
    drainGraceMs: config.ccsDrainGraceSeconds * 1000,
  });
  registerDeviceRoutes(http, service, context.accounts, config);
  registerSendRoutes(http, service);
  registerAdminRoutes(http, service.apps, context.isOperator);
  let xmpp: XmppServer | undefined;
  return {
    service,
    async listen(c2s) {
      c2s.use(deviceModule(service.devices));
      const ports: Record<string, number> = {};
      if (config.ccsPort < 0 && config.ccsPlainPort < 0) return ports;
      xmpp = createCcsXmppServer({ domain: config.domain, tls: context.tls, log, senders: service.senders, hub: service.apps, maxStanzaSize: config.maxStanzaSize });
      if (config.ccsPort >= 0) ports.ccs = await xmpp.listen({ name: 'ccs', mode: 'direct', host: config.host, port: config.ccsPort });
      if (config.ccsPlainPort >= 0) ports['ccs-plain'] = await xmpp.listen({ name: 'ccs-plain', mode: 'plain', host: config.host, port: config.ccsPlainPort });
      return ports;
    },
    async close() {
      await service.shutdown(Math.min(SHUTDOWN_DRAIN_MS, config.ccsDrainGraceSeconds * 1000));
      await xmpp?.close('system-shutdown');
    },
  };
}
