// A Redis outage in multi-node mode (issue 14 item 4): /gcm/send on node A to
// a device held by node B while the bus is down answers 200, no node exits
// (an unhandled rejection would end this test process), /metrics says the
// bus is down, and once Redis is back the message reaches the device exactly
// once, from the store.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { busUp } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { newDevice, settle, startCcsServer } from './helpers.ts';

let database: TestDatabase;
let redis: TestRedis;
let nodeA: Awaited<ReturnType<typeof startCcsServer>>;
let nodeB: Awaited<ReturnType<typeof startCcsServer>>;

before(async () => {
  database = await createTestDatabase();
  redis = await startRedis();
  const bus = redis.url;
  nodeA = await startCcsServer({ database: database.url, bus });
  nodeB = await startCcsServer({ database: database.url, bus });
  Object.assign(nodeB, { senderId: nodeA.senderId, apiKey: nodeA.apiKey });
});

after(async () => {
  await nodeA?.stop();
  await nodeB?.stop();
  await redis?.stop();
  await database?.drop();
});

test('with Redis down, /gcm/send across nodes is kept in the store and delivered once when Redis is back', async () => {
  const phone = await newDevice(nodeB);
  assert.equal(await busUp(nodeA), '1');
  await redis?.stop();
  await waitFor('node A sees the bus down', async () => (await busUp(nodeA)) === '0');
  const response = await fetch(`${nodeA.url}/gcm/send`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `key=${nodeA.apiKey}` },
    body: JSON.stringify({ to: phone.registration.registration_id, data: { during: 'outage' } }),
  });
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as { success: number }).success, 1);
  // ioredis gives up on a queued command after its retries (about 6 s before the fix ended the process).
  await sleep(8000);
  assert.equal(await busUp(nodeA), '0');
  assert.equal(await busUp(nodeB), '0');
  assert.equal(phone.received.length, 0);

  redis.start();
  await waitFor('the bus back on both nodes', async () => (await busUp(nodeA)) === '1' && (await busUp(nodeB)) === '1', 30_000);
  const [message] = await phone.next(1, 10_000);
  assert.deepEqual(message!.data, { during: 'outage' });
  await settle(500);
  assert.equal(phone.received.length, 1);
  phone.device.close();
});
