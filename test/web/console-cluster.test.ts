// The console's event stream on a cluster: two nodes on one PostgreSQL
// database and one Redis bus. A change made through node A reaches a console
// whose stream is on node B, whether a person made it or the printer's
// device (a multipart update).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { cloudApi, createUser, registerAndClaim } from '../helpers/cloud.ts';
import { readEvents } from './console-events-client.ts';

const BUS = `${process.env.OCP_TEST_REDIS ?? 'redis://127.0.0.1:6379'}?channel=ocp-console-cluster-${process.pid}`;
let database: TestDatabase;
let nodeA: TestServer;
let nodeB: TestServer;

before(async () => {
  database = await createTestDatabase();
  nodeA = await startTestServer({ database: database.url, bus: BUS });
  nodeB = await startTestServer({ database: database.url, bus: BUS });
});
after(async () => {
  await nodeA?.stop();
  await nodeB?.stop();
  await database?.drop();
});

const changes = (events: string[]) => events.filter((e) => e.includes('event: change')).map((e) => JSON.parse(/^data: (.*)$/m.exec(e)![1]!));

test('a change through node A reaches the console streaming from node B', { timeout: 30_000 }, async () => {
  const owner = await createUser(nodeA);
  const printer = await registerAndClaim(nodeA, owner);
  const share = () => cloudApi(nodeA, 'share', { printerid: printer.printerId, scope: 'someone@example.com' }, { token: owner.token }).then(() => {});
  // The claim's own 'printer' hint is published without being waited for
  // (printerChanged) and may reach node B after this stream opened: wait for
  // the share's. Node A's events reach node B in the order published, so
  // once the share's has come, none of the set-up's is still on its way.
  const isShare = (change: { what: string }) => change.what === 'sharing';
  const byPerson = await readEvents(nodeB, owner.token, (events) => changes(events).some(isShare), share);
  assert.deepEqual(changes(byPerson).find(isShare), { printerId: printer.printerId, what: 'sharing' });
  // The device reports a jam with a multipart update, as printers and connectors do.
  const jam = () =>
    cloudApi(nodeA, 'update', { printerid: printer.printerId, semantic_state: JSON.stringify({ version: '1.0', printer: { state: 'STOPPED' } }) }, { token: printer.accessToken, as: 'multipart' }).then((reply) =>
      assert.equal(reply.body.success, true, JSON.stringify(reply.body)),
    );
  const byDevice = await readEvents(nodeB, owner.token, (events) => changes(events).length > 0, jam);
  assert.deepEqual(changes(byDevice)[0], { printerId: printer.printerId, what: 'printer' });
});

test('a NUL in console input or in a job call is a 400, not a database error', { timeout: 30_000 }, async () => {
  const owner = await createUser(nodeA);
  const session = await fetch(`${nodeA.url}/console/session`, { method: 'POST', headers: { 'x-ocp-console': '1', 'content-type': 'application/json' }, body: JSON.stringify({ email: 'a\0b@example.com', password: 'x' }) });
  assert.equal(session.status, 400);
  const shares = await fetch(`${nodeA.url}/console/shares?printerid=a%00b`, { headers: { 'x-ocp-console': '1', authorization: `Bearer ${owner.token}` } });
  assert.equal(shares.status, 400);
  for (const call of ['control', 'deletejob']) {
    const reply = await cloudApi(nodeA, call, { jobid: 'a\0b', status: 'DONE' }, { token: owner.token });
    assert.ok(reply.status >= 400 && reply.status < 500, `${call}: ${reply.status} ${JSON.stringify(reply.body)}`);
  }
});
