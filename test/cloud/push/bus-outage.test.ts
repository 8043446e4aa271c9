// A Redis restart in multi-node mode (issue 20): Redis comes back empty, so
// the registry no longer says which node holds the printer, and the push
// node A kept while Redis was down may reach nobody. Node B, once it has
// registered its sessions again, replays what they missed from the store:
// the printer on node B hears of the job submitted on node A meanwhile.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { busUp, startTestServer, type TestServer } from '../../helpers/server.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { createUser, registerAndClaim, submitJob } from '../../helpers/cloud.ts';
import { startRedis, type TestRedis } from '../../helpers/redis.ts';
import { waitFor } from '../../helpers/wait.ts';
import { RawClient, loginRaw } from '../../xmpp/raw-client.ts';

let database: TestDatabase;
let redis: TestRedis;
let nodeA: TestServer;
let nodeB: TestServer;

before(async () => {
  database = await createTestDatabase();
  redis = await startRedis();
  const bus = redis.url;
  nodeA = await startTestServer({ database: database.url, bus });
  nodeB = await startTestServer({ database: database.url, bus });
});

after(async () => {
  await nodeA?.stop();
  await nodeB?.stop();
  await redis?.stop();
  await database?.drop();
});

test('after Redis restarts empty, a printer on node B gets the push of a job submitted on node A during the outage', async () => {
  const owner = await createUser(nodeA);
  const printer = await registerAndClaim(nodeA, owner);
  const device = await RawClient.tls(nodeB);
  try {
    await loginRaw(device, printer.jidLocal, printer.accessToken, 'printer');
    device.send(`<iq type="set" to="${printer.xmppJid}" id="3"><subscribe xmlns="google:push"><item channel="cloudprint.google.com" from="cloudprint.google.com"/></subscribe></iq>`);
    await device.expect(/<iq [^>]*id="3"/);

    await redis?.stop();
    await waitFor('both nodes see the bus down', async () => (await busUp(nodeA)) === '0' && (await busUp(nodeB)) === '0');
    const submitted = await submitJob(nodeA, owner.token, printer.printerId);
    assert.equal(submitted.body.success, true);

    redis.start();
    const [, data] = await device.expect(/<push xmlns="google:push"[^>]*>.*?<data>([^<]+)<\/data>/, 30_000);
    assert.equal(Buffer.from(data!, 'base64').toString(), printer.printerId);
  } finally {
    device.close();
  }
});
