// Two server nodes on one PostgreSQL database and a Redis bus: a message an
// app server sends through node A reaches a device connected to node B (A
// stores it and announces `ccs-device` on the bus; B loads it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { newDevice, rawApp, startCcsServer } from './helpers.ts';

let database: TestDatabase;
let nodeA: Awaited<ReturnType<typeof startCcsServer>>;
let nodeB: Awaited<ReturnType<typeof startCcsServer>>;

before(async () => {
  database = await createTestDatabase();
  const bus = `redis://127.0.0.1:6379?channel=ocp-ccs-test-${randomBytes(4).toString('hex')}`;
  nodeA = await startCcsServer({ database: database.url, bus });
  nodeB = await startCcsServer({ database: database.url, bus });
  // Both nodes serve the same sender: B's credentials are A's.
  Object.assign(nodeB, { senderId: nodeA.senderId, apiKey: nodeA.apiKey });
});

after(async () => {
  await nodeA.stop();
  await nodeB.stop();
  await database.drop();
});

test('downstream through node A is delivered to a device on node B', async () => {
  const phone = await newDevice(nodeB);
  const app = await rawApp(nodeA);
  app.send({ to: phone.registration.registration_id, message_id: 'cross-node', data: { via: 'bus' } });
  assert.equal((await app.next()).message_type, 'ack');
  assert.deepEqual((await phone.next())[0]!.data, { via: 'bus' });
  app.client.close();
  phone.device.close();
});

test('upstream from a device on node B reaches the app server connected to node A', async () => {
  const phone = await newDevice(nodeB);
  const app = await rawApp(nodeA);
  await phone.device.send({ to: nodeA.senderId, message_id: 'cross-up', data: { via: 'bus' } });
  const upstream = await app.next();
  assert.equal(upstream.message_id, 'cross-up');
  assert.equal(upstream.from, phone.registration.registration_id);
  app.client.close();
  phone.device.close();
});

