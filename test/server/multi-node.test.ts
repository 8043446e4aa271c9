// Two server nodes on one PostgreSQL database and one Redis bus: a job
// submitted through node A's REST interface is pushed to a printer whose XMPP
// session is on node B, and node A says whether that printer is connected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { cloudApi, createUser, registerAndClaim, SAMPLE_LOCAL_SETTINGS, submitJob } from '../helpers/cloud.ts';
import { waitFor } from '../helpers/wait.ts';
import { RawClient, loginRaw } from '../xmpp/raw-client.ts';

const BUS = `${process.env.OCP_TEST_REDIS ?? 'redis://127.0.0.1:6379'}?channel=ocp-multinode-${process.pid}`;
const PING_TIMEOUT_S = 1;
let database: TestDatabase;
let nodeA: TestServer;
let nodeB: TestServer;

before(async () => {
  database = await createTestDatabase();
  nodeA = await startTestServer({ database: database.url, bus: BUS });
  // A silent device has PING_TIMEOUT_S to answer the ping its xmpp_timeout_value brings.
  nodeB = await startTestServer({ database: database.url, bus: BUS, xmppPingTimeoutSeconds: PING_TIMEOUT_S });
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

test('node A says ONLINE for a printer connected to node B, and OFFLINE once it stays silent past its ping interval', async () => {
  const pingIntervalS = 1;
  const owner = await createUser(nodeA);
  const printer = await registerAndClaim(nodeA, owner, { localSettings: { current: { ...SAMPLE_LOCAL_SETTINGS.current, xmpp_timeout_value: pingIntervalS } } });
  const status = async () => (await cloudApi(nodeA, 'search', {}, { token: owner.token })).body.printers.find((p: Record<string, any>) => p.id === printer.printerId).connectionStatus as string;
  assert.equal(await status(), 'DORMANT');
  const device = await RawClient.tls(nodeB);
  try {
    await loginRaw(device, printer.jidLocal, printer.accessToken, 'printer');
    device.send(`<iq type="set" to="${printer.xmppJid}" id="3"><subscribe xmlns="google:push"><item channel="cloudprint.google.com" from="cloudprint.google.com"/></subscribe></iq>`);
    await device.expect(/<iq [^>]*id="3"/);
    const subscribedAt = Date.now();
    await waitFor('ONLINE on node A', async () => ((await status()) === 'ONLINE' ? true : undefined), 5000);
    // The device answers nothing: node B pings it after its interval and ends the session.
    await device.expect(/<ping xmlns="urn:xmpp:ping"/, 5000);
    await waitFor('OFFLINE on node A', async () => ((await status()) === 'OFFLINE' ? true : undefined), 10_000);
    assert.ok(Date.now() - subscribedAt >= (pingIntervalS + PING_TIMEOUT_S) * 1000, 'not before the ping interval and the ping timeout passed');
  } finally {
    device.close();
  }
});
