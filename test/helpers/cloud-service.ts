// The cloud print service over a real store, without the server: for calling
// /cloudprint handlers and the route table directly.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Accounts } from '../../src/auth/accounts.ts';
import type { Caller } from '../../src/cloud/access.ts';
import { converterFromConfig } from '../../src/cloud/conversion/index.ts';
import { DirectoryDocuments } from '../../src/cloud/documents/directory.ts';
import { CLOUD_ERRORS, type CloudErrorName } from '../../src/cloud/errors.ts';
import { Params } from '../../src/cloud/params.ts';
import type { CloudService } from '../../src/cloud/service.ts';
import { defaultServerConfig, type ServerConfig } from '../../src/config.ts';
import { LocalBus, type BusEvent } from '../../src/events/bus.ts';
import { silentLogger } from '../../src/log.ts';
import type { Store } from '../../src/store/db.ts';
import { tempDir } from './server.ts';

export interface TestCloud {
  service: CloudService;
  /** Every notification the service published, in order. */
  published: BusEvent[];
  /** Removes the document directory (the store is the caller's). */
  close(): Promise<void>;
}

export const TEST_PUBLIC_URL = 'http://cloud.test';

export function cloudOn(store: Pick<Store, 'db'>, overrides: Partial<ServerConfig> = {}): TestCloud {
  const dataDir = tempDir('ocp-cloud-');
  const config = defaultServerConfig({ dataDir, logLevel: 'silent', ...overrides });
  const bus = new LocalBus();
  const published: BusEvent[] = [];
  bus.subscribe((event) => void published.push(event));
  const documents = new DirectoryDocuments(join(dataDir, 'documents'), false);
  const service: CloudService = {
    db: store.db,
    accounts: new Accounts(store.db, { accessTokenTtlSeconds: config.accessTokenTtlSeconds }),
    bus,
    documents,
    converter: converterFromConfig(config, documents.scratchDir()),
    config,
    log: silentLogger(),
    publicUrl: () => TEST_PUBLIC_URL,
  };
  return {
    service,
    published,
    async close() {
      await bus.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Request parameters as the route table reads them; an array is a repeated name. */
export function paramsOf(values: Record<string, string | string[]>, maxJsonDepth = 32): Params {
  return new Params(new Map(Object.entries(values).map(([name, value]) => [name, Array.isArray(value) ? value : [value]])), maxJsonDepth);
}

let users = 0;

export async function newUser(service: CloudService): Promise<Caller> {
  return { account: await service.accounts.createUser(`user${++users}-${process.pid}@example.com`, 'correct horse battery') };
}

export async function newRobot(service: CloudService): Promise<Caller> {
  return { account: await service.accounts.createRobot() };
}

/** What assert.rejects matches a CloudError of this name by. */
export function refusal(name: CloudErrorName): { errorCode: number } {
  return { errorCode: CLOUD_ERRORS[name].errorCode };
}
