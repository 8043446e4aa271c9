// Two server nodes on one PostgreSQL database and one Redis bus: a job
// submitted through node A's REST interface is pushed to a printer whose XMPP
// session is on node B.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { createUser, registerAndClaim, submitJob } from '../helpers/cloud.ts';
import { RawClient, loginRaw } from '../xmpp/raw-client.ts';

const BUS = `${process.env.OCP_TEST_REDIS ?? 'redis://127.0.0.1:6379'}?channel=ocp-multinode-${process.pid}`;
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

test('a REST submit on node A reaches the printer connected to node B', async () => {
  const owner = await createUser(nodeA);
  const printer = await registerAndClaim(nodeA, owner);
  const device = await RawClient.tls(nodeB);
  try {
    const jid = await loginRaw(device, printer.jidLocal, printer.accessToken, 'printer');
    device.send(`<iq type="set" to="${printer.xmppJid}" id="3"><subscribe xmlns="google:push"><item channel="cloudprint.google.com" from="cloudprint.google.com"/></subscribe></iq>`);
    await device.expect(/<iq [^>]*id="3"/);
    const submitted = await submitJob(nodeA, owner.token, printer.printerId);
    assert.equal(submitted.body.success, true);
    const [, to, data] = await device.expect(/<message [^>]*to="([^"]+)"[^>]*><push xmlns="google:push"[^>]*>.*?<data>([^<]+)<\/data>/);
    assert.equal(to, jid);
    assert.equal(Buffer.from(data!, 'base64').toString(), printer.printerId);
  } finally {
    device.close();
  }
});
