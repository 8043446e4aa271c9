// Wires the Cloud Connection Server into `ocp server`: registerCcs() adds the
// HTTP routes before the HTTP port opens, then listen() starts the app-server
// listeners (`ccs` direct TLS, and the test-only `ccs-plain`) and adds the
// device module to the c2s server. It needs only CcsDependencies.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/db.ts';
import type { Accounts } from '../auth/accounts.ts';
import type { NotificationBus } from '../events/bus.ts';
import type { TlsMaterial } from '../tls/material.ts';
import type { XmppServer } from '../xmpp/index.ts';
import { CcsService } from './service/index.ts';
import { registerDeviceRoutes } from './transports/device-http.ts';
import { registerSendRoutes } from './transports/send-http.ts';
import { registerAdminRoutes } from './transports/admin-http.ts';
import { proxyProtocolFrom } from '../net/proxy-protocol.ts';
import { createCcsXmppServer, deviceModule } from './transports/xmpp.ts';

/** A shutdown does not wait the whole drain grace: app servers reconnect elsewhere at once. */
const SHUTDOWN_DRAIN_MS = 5000;

export interface Ccs {
  service: CcsService;
  /** Starts the app-server listeners and adds the device module to `c2s`; returns the ports. */
  listen(c2s: XmppServer): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/** What the CCS needs from the server that runs it. */
export interface CcsDependencies {
  config: ServerConfig;
  log: Logger;
  store: Pick<Store, 'db'>;
  accounts: Accounts;
  bus: NotificationBus;
  tls: TlsMaterial;
  /** Whether a request comes from the server's operator (`ocp ccs drain`). */
  isOperator(request: FastifyRequest): boolean;
}

export function registerCcs(app: FastifyInstance, deps: CcsDependencies): Ccs {
  const { config, log } = deps;
  const service = new CcsService({
    db: deps.store.db,
    log,
    bus: deps.bus,
    domain: config.domain,
    maxPending: config.ccsMaxPending,
    maxJsonDepth: config.maxJsonDepth,
    deviceRatePerMinute: config.ccsDeviceRate,
    drainGraceMs: config.ccsDrainGraceSeconds * 1000,
  });
  registerDeviceRoutes(app, service, deps.accounts, config);
  registerSendRoutes(app, service, config);
  registerAdminRoutes(app, service.apps, deps.isOperator);
  let xmpp: XmppServer | undefined;
  return {
    service,
    async listen(c2s) {
      c2s.use(deviceModule(service.devices));
      const ports: Record<string, number> = {};
      if (config.ccsPort < 0 && config.ccsPlainPort < 0) return ports;
      xmpp = createCcsXmppServer({ domain: config.domain, tls: deps.tls, log, senders: service.senders, hub: service.apps, maxStanzaSize: config.maxStanzaSize, proxyProtocol: proxyProtocolFrom(config) });
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
