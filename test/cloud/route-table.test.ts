// The route table: a route's `auth` mode decides the caller its handler gets,
// in the types (the @ts-expect-error lines fail `tsc` if a mode stops
// constraining its handler) and at run time over real HTTP; a document
// route's `prepare` runs before the upload and hands its result to the handler.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { cloudRoutes } from '../../src/cloud/index.ts';
import { CloudError } from '../../src/cloud/errors.ts';
import { fetchJobs } from '../../src/cloud/routes/jobs.ts';
import { documentRoute, registerCloudRoutes, type CloudRoute } from '../../src/cloud/route-table.ts';
import { silentLogger } from '../../src/log.ts';
import { createHttpApp, httpOptionsFrom } from '../../src/server/http.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { cloudOn, newUser, type TestCloud } from '../helpers/cloud-service.ts';
import { tempDir } from '../helpers/server.ts';

const info = { params: {}, summary: 'test route' };

// Type-level rules, checked by `npx tsc --noEmit -p .` (this file is part of the project).
export const typeRules: CloudRoute[] = [
  {
    ...info, path: 'optional-reads-caller', auth: 'optional',
    // @ts-expect-error the caller of an optional route may be undefined
    handle: async ({ caller }) => ({ id: caller.account.id }),
  },
  {
    ...info, path: 'public-reads-caller', auth: 'none',
    // @ts-expect-error a public route never has a caller
    handle: async ({ caller }) => ({ id: caller.account.id }),
  },
  // @ts-expect-error a handler that needs a caller cannot serve a route that may have none
  { ...info, path: 'optional-with-signed-in-handler', auth: 'optional', handle: fetchJobs },
  documentRoute({
    ...info, path: 'prepared-mismatch', auth: 'required', document: true,
    prepare: async () => 42,
    // @ts-expect-error the handler gets what prepare returned (a number here), not a string
    handle: async ({ prepared }) => ({ length: prepared?.length }),
  }),
  // The signed-in route's handler reads its caller without any assertion.
  { ...info, path: 'signed-in', auth: 'required', handle: async ({ caller }) => ({ id: caller.account.id }) },
];

let store: Store;
let cloud: TestCloud;
let app: FastifyInstance;
let url: string;
let token: string;
let storeDir: string;
const prepareCalls: string[] = [];

const routes: CloudRoute[] = [
  { ...info, path: 'required', auth: 'required', handle: async ({ caller }) => ({ who: caller.account.id }) },
  { ...info, path: 'optional', auth: 'optional', handle: async ({ caller }) => ({ who: caller?.account.id ?? null }) },
  { ...info, path: 'none', auth: 'none', handle: async ({ caller }) => ({ who: caller ?? null }) },
  documentRoute({
    ...info,
    path: 'upload',
    auth: 'required',
    document: true,
    async prepare(params) {
      const printer = params.get('printerid');
      prepareCalls.push(printer ?? '(none)');
      if (printer === 'refused') throw new CloudError('PRINTER_NOT_FOUND', 'Unknown printer refused');
      return printer ? { printer } : undefined;
    },
    handle: async ({ prepared, document }) => ({ prepared: prepared?.printer ?? null, size: document?.size ?? null }),
  }),
];

before(async () => {
  storeDir = tempDir();
  store = await openStore({ database: 'sqlite', dataDir: storeDir });
  cloud = cloudOn(store);
  app = await createHttpApp(httpOptionsFrom(cloud.service.config, silentLogger()));
  registerCloudRoutes(app, cloud.service, routes);
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/cloudprint/`;
  token = await cloud.service.accounts.issueApiToken((await newUser(cloud.service)).account.id);
});

after(async () => {
  await app.close();
  await cloud.close();
  await store.close();
  rmSync(storeDir, { recursive: true, force: true });
});

async function call(path: string, bearer?: string, body?: FormData) {
  const response = await fetch(url + path, { method: 'POST', headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, body: body ?? new URLSearchParams() });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('auth required: no token is refused before the handler runs; a token reaches it as the caller', async () => {
  const refused = await call('required');
  assert.equal(refused.status, 401);
  assert.equal(refused.body.success, false);
  const { body } = await call('required', token);
  assert.equal(body.success, true);
  assert.match(String(body.who), /^[\w-]+$/);
});

test('auth optional: no token runs the handler with no caller; a bad token is still refused', async () => {
  assert.equal((await call('optional')).body.who, null);
  assert.equal((await call('optional', token)).body.who, (await call('required', token)).body.who);
  assert.equal((await call('optional', 'not-a-token')).status, 401);
});

test('auth none: the token is never looked at, so even a bad one reaches the handler without a caller', async () => {
  const { status, body } = await call('none', 'not-a-token');
  assert.equal(status, 200);
  assert.equal(body.who, null);
});

test('a document route hands prepare\'s result to its handler, and a refusing prepare stores nothing', async () => {
  const form = (fields: Array<[string, string | Blob]>) => {
    const data = new FormData();
    for (const [name, value] of fields) data.append(name, value);
    return data;
  };
  const document = new Blob(['%PDF-1.4 test'], { type: 'application/pdf' });
  prepareCalls.length = 0;
  const prepared = await call('upload', token, form([['printerid', 'p1'], ['content', document]]));
  assert.deepEqual([prepared.body.prepared, prepared.body.size], ['p1', 13]);
  // prepare runs once, on the fields before the document; content first means nothing to prepare from.
  const late = await call('upload', token, form([['content', document], ['printerid', 'p1']]));
  assert.deepEqual([late.body.prepared, late.body.size], [null, 13]);
  const noDocument = await call('upload', token, form([['printerid', 'p1']]));
  assert.deepEqual([noDocument.body.prepared, noDocument.body.size], [null, null]);
  assert.deepEqual(prepareCalls, ['p1', '(none)']);

  const refused = await call('upload', token, form([['printerid', 'refused'], ['content', document]]));
  assert.equal(refused.status, 404);
  const documents = cloud.service.documents.dir;
  assert.deepEqual(readdirSync(join(documents, '.incoming')), []);
  assert.deepEqual(readdirSync(documents), ['.incoming']);
});

test('every /cloudprint route has a named handler that can be imported and called alone', () => {
  for (const route of cloudRoutes(cloud.service)) {
    if (route.path === 'register') continue; // its handler takes the route's limiter too: registerPrinter
    assert.notEqual(route.handle.name, 'handle', `/${route.path} has an inline handler`);
    assert.ok(route.handle.name.length > 0, `/${route.path} has an anonymous handler`);
  }
});
