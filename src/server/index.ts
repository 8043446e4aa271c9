// `ocp server`: opens the store, then starts every listener the configuration
// asks for and writes the ports they got to DATA/ports.json.
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config.ts';
import { createLogger, type Logger } from '../log.ts';
import { PRIVATE_FILE_MODE, privateDir } from '../files/private.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { openStore, type Store } from '../store/db.ts';
import { Accounts, type Revocation } from '../auth/accounts.ts';
import { registerAuth } from '../auth/index.ts';
import { lockDataDir } from './data-lock.ts';
import { Health } from './health.ts';
import { createOperatorAccess } from './operator.ts';
import { registerStatusRoute, type StatusSources } from './status.ts';
import { serverNames } from '../tls/names.ts';
import { LocalBus, type NotificationBus, type PushDirectory } from '../events/bus.ts';
import { RedisBus } from '../events/redis-bus.ts';
import { registerBusMetrics } from '../events/metrics.ts';
import { loadTlsMaterial, type TlsMaterial } from '../tls/material.ts';
import { createHttpApp, httpOptionsFrom } from './http.ts';
import { registerMetricsRoute, registerServiceMetrics } from './metrics.ts';
import { createC2sServer, listenC2s } from './c2s.ts';
import { registerCcs } from '../ccs/index.ts';
import { registerXmppMetrics } from '../xmpp/metrics.ts';
import { registerCcsMetrics } from '../ccs/service/metrics.ts';
import { registerConsole } from '../web/console.ts';
import { registerCloud } from '../cloud/index.ts';
import { createPushDirectory } from '../cloud/push/directory.ts';
import { startIpp } from '../ipp/index.ts';

/**
 * Everything the server holds. This file is the only composition root: each
 * capability takes the part it needs (AuthDependencies, CloudDependencies,
 * CcsDependencies, C2sDependencies) and none imports src/server.
 */
export interface ServerContext {
  config: ServerConfig;
  log: Logger;
  store: Store;
  accounts: Accounts;
  bus: NotificationBus;
  tls: TlsMaterial;
  /** Base URL clients use for the HTTP port, without a trailing slash. */
  publicUrl: string;
  /** What the XMPP channel asks the cloud service about a robot's printers (src/cloud). */
  pushDirectory: PushDirectory;
  /** Whether a request comes from the operator (src/server/operator.ts), for admin endpoints. */
  isOperator: (request: FastifyRequest) => boolean;
}

export interface RunningServer {
  context: ServerContext;
  http: FastifyInstance;
  ports: Record<string, number>;
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function writePorts(dataDir: string, ports: Record<string, number>): void {
  const file = join(dataDir, 'ports.json');
  writeFileAtomic(file, JSON.stringify(ports, null, 2) + '\n', PRIVATE_FILE_MODE);
}

async function openBus(config: ServerConfig, log: Logger): Promise<NotificationBus> {
  const setting = config.bus;
  if (setting === 'local') return new LocalBus();
  if (/^rediss?:\/\//.test(setting)) return RedisBus.connect(setting, log, { registryTtlMs: config.busRegistryTtlSeconds * 1000 });
  throw new Error(`bus: expected local or a redis:// URL, got "${setting}"`);
}

export async function startServer(config: ServerConfig, log: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  // In a cluster every log line names its node (docs/deployment.md). With a
  // picked HTTP port (0) and no --node-id the name is known only once
  // listening: then the start line and /admin/status give it.
  const namedNode = config.nodeId ?? (config.httpPort > 0 ? `${hostname()}:${config.httpPort}` : undefined);
  if (namedNode) log = log.child({ node: namedNode });
  privateDir(config.dataDir, log);
  const lock = lockDataDir(config.dataDir);
  const closers: Array<() => Promise<void>> = [async () => lock.release()];
  try {
    const store = await openStore({ database: config.database, poolSize: config.databasePoolSize, dataDir: config.dataDir, sync: config.sync, log });
    closers.unshift(() => store.close());
    const signIn = {
      freeFailures: config.signInFreeFailures,
      baseDelayMs: config.signInBackoffSeconds * 1000,
      maxDelayMs: config.signInMaxBackoffSeconds * 1000,
      failuresPerSourcePerMinute: config.signInFailuresPerSource,
    };
    const bus = await openBus(config, log);
    closers.unshift(() => bus.close());
    // Every node ends the XMPP sessions opened with revoked credentials (src/auth/xmpp-revocation.ts).
    const onRevoked = (revocation: Revocation) =>
      bus.publish({ type: 'credentials-revoked', ...revocation }).catch((error: Error) => log.error({ err: error.message }, 'could not publish a revocation'));
    const accounts = new Accounts(store.db, { accessTokenTtlSeconds: config.accessTokenTtlSeconds, signIn, onRevoked: (revocation) => void onRevoked(revocation) });
    const tls = await loadTlsMaterial({ dataDir: config.dataDir, certPath: config.tlsCert, keyPath: config.tlsKey, names: serverNames(config) });
    log.info({ names: tls.names, issued: tls.issued, caPath: tls.caPath }, tls.issued ? 'issued a new TLS certificate' : 'TLS certificate');
    const isOperator = createOperatorAccess(config.dataDir);
    const context: ServerContext = { config, log, store, accounts, bus, tls, publicUrl: config.publicUrl ?? '', pushDirectory: createPushDirectory(store.db, { bus, log }), isOperator };

    const http = await createHttpApp(httpOptionsFrom(config, log));
    const metrics = registerMetricsRoute(http, { access: config.metricsAccess, tokenFile: config.metricsTokenFile });
    registerServiceMetrics(metrics, { db: store.db });
    registerBusMetrics(metrics, bus);
    const { deviceCodes } = registerAuth(http, context);
    registerConsole(http, { ...context, deviceCodes });
    const cloud = await registerCloud(http, context);
    closers.unshift(() => cloud.close());
    const health = new Health({ db: store.db, bus, timeoutMs: config.readinessTimeoutSeconds * 1000 });
    health.register(http);
    const status: StatusSources = { db: store.db, dialect: store.dialect, bus, health, isOperator };
    registerStatusRoute(http, status);
    const ccs = registerCcs(http, context);
    registerCcsMetrics(metrics, { counters: ccs.service.counters, db: store.db });
    const ipp = await startIpp(http, { config, log, tls, publicUrl: () => context.publicUrl }, cloud.service);
    closers.unshift(() => ipp.close());
    closers.unshift(() => http.close());
    await http.listen({ host: config.host, port: config.httpPort });
    const ports: Record<string, number> = { http: (http.server.address() as AddressInfo).port };
    const nodeId = namedNode ?? `${hostname()}:${ports.http}`;
    // Named on the bus before any listener accepts a device session (its claims need the name).
    await bus.join(nodeId);
    const xmpp = createC2sServer(context);
    closers.unshift(() => xmpp.close('system-shutdown'));
    registerXmppMetrics(metrics, xmpp, 'ocp_xmpp');
    Object.assign(ports, await listenC2s(xmpp, config));
    closers.unshift(() => ccs.close());
    Object.assign(ports, await ccs.listen(xmpp));
    Object.assign(ports, await ipp.listen());
    context.publicUrl = config.publicUrl ?? `http://${urlHost(config.host)}:${ports.http}`;

    Object.assign(status, { nodeId, xmpp, appServerConnections: () => ccs.service.apps.connectionCount(), ports, publicUrl: context.publicUrl });

    writePorts(config.dataDir, ports);
    log.info({ nodeId, ports, publicUrl: context.publicUrl, dataDir: config.dataDir, caPath: tls.caPath }, 'ocp server started');
    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        health.draining = true;
        if (config.shutdownDelaySeconds > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelaySeconds * 1000));
        for (const closer of closers) await closer().catch((error: Error) => log.error({ err: error }, 'error while closing'));
      })());
    return { context, http, ports, close };
  } catch (error) {
    for (const closer of closers) await closer().catch(() => {});
    throw error;
  }
}
