// The cloud print service: the /cloudprint/* plugin, the claim pages, the
// push directory the XMPP channel reads, and the sweeper that expires
// registrations, proximity tokens and old jobs. registerCloud() is its one
// entry; it needs only CloudDependencies from the server that runs it.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/db.ts';
import type { Accounts } from '../auth/accounts.ts';
import type { NotificationBus } from '../events/bus.ts';
import { registerClaimPages } from './claim-pages.ts';
import { converterFromConfig } from './conversion/index.ts';
import { SHARED_SETTLE_MS, type DocumentStore } from './documents.ts';
import { DatabaseDocuments } from './documents/database.ts';
import { DirectoryDocuments } from './documents/directory.ts';
import { resumeConversions } from './job-conversion.ts';
import { sweepJobs } from './jobs.ts';
import { cloudErrorHandler, registerCloudRoutes, type CloudRoute } from './route-table.ts';
import { claimRoutes } from './routes/claim.ts';
import { jobRoutes } from './routes/jobs.ts';
import { printerRoutes } from './routes/printers.ts';
import { sharingRoutes } from './routes/sharing.ts';
import type { CloudService } from './service.ts';

export interface Cloud {
  service: CloudService;
  routes: CloudRoute[];
  /** One round of expiry; also runs on a timer. */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

export function cloudRoutes(service: CloudService): CloudRoute[] {
  return [...printerRoutes(service), ...claimRoutes(service), ...jobRoutes(service), ...sharingRoutes(service)];
}

/**
 * The document store --documents asks for. `database` needs PostgreSQL:
 * SQLite is one node's, whose documents are as well kept in files.
 */
function openDocuments(config: ServerConfig, store: Pick<Store, 'db' | 'dialect'>): DocumentStore {
  const dir = join(config.dataDir, 'documents');
  if (config.documents === 'directory') return new DirectoryDocuments(dir, config.sync === 'full', store.dialect === 'postgres' ? SHARED_SETTLE_MS : 0);
  if (store.dialect !== 'postgres') throw new Error('documents: database keeps documents in PostgreSQL and needs --database postgres://…; with SQLite use --documents directory');
  return new DatabaseDocuments(store.db, dir);
}

/** At start-up: uploads a dead process left, and committed documents no job refers to (a crash between commit and the job row). */
async function removeLeftoverDocuments(service: CloudService): Promise<void> {
  await service.documents.removeUnfinished();
  const names = await service.documents.settled();
  for (let i = 0; i < names.length; i += 500) {
    const batch = names.slice(i, i + 500);
    const known = new Set((await service.db.selectFrom('jobs').select('document_path').where('document_path', 'in', batch).execute()).map((row) => row.document_path));
    for (const name of batch) if (!known.has(name)) await service.documents.remove(name);
  }
}

/** What the cloud print service needs from the server that runs it. */
export interface CloudDependencies {
  config: ServerConfig;
  log: Logger;
  store: Pick<Store, 'db' | 'dialect'>;
  accounts: Accounts;
  bus: NotificationBus;
  /** Base URL of the HTTP port, known once it listens. */
  readonly publicUrl: string;
}

export async function registerCloud(app: FastifyInstance, deps: CloudDependencies): Promise<Cloud> {
  const { config } = deps;
  const documents = openDocuments(config, deps.store);
  const service: CloudService = {
    db: deps.store.db,
    accounts: deps.accounts,
    bus: deps.bus,
    documents,
    converter: converterFromConfig(config, documents.scratchDir()),
    config,
    log: deps.log,
    publicUrl: () => deps.publicUrl,
  };
  await removeLeftoverDocuments(service);
  await resumeConversions(service);
  const routes = cloudRoutes(service);
  await app.register(async (scope) => {
    scope.setErrorHandler(cloudErrorHandler);
    registerCloudRoutes(scope, service, routes);
    registerClaimPages(scope, service);
  });

  const sweep = async () => {
    const now = Date.now();
    await service.db.deleteFrom('printers').where('owner_id', 'is', null).where('registration_expires_at', '<=', now).execute();
    await service.db.deleteFrom('proximity_tokens').where('expires_at', '<=', now).execute();
    await service.accounts.purgeExpired();
    await sweepJobs(service, now);
  };
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= sweep()
      .catch((error: Error) => deps.log.error({ err: error }, 'cloud sweep failed'))
      .finally(() => (running = undefined));
  };
  // Often enough that nothing outlives its limit by more than a quarter of it.
  const period = Math.min(60_000, Math.max(250, (Math.min(config.jobRetentionSeconds, config.registrationTtlSeconds) * 1000) / 4));
  const timer = setInterval(tick, period).unref();
  return {
    service,
    routes,
    sweep,
    async close() {
      clearInterval(timer);
      await running;
      await service.converter.close();
    },
  };
}
