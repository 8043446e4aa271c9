// Two server nodes on one PostgreSQL database and a Redis bus: a message an
// app server sends through node A reaches a device connected to node B (A
// stores it and announces `ccs-device` on the bus, carrying the stored rows;
// B hands them to the device's session without reading the store).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { connectDevice, newDevice, rawApp, startCcsServer } from './helpers.ts';
import { Senders } from '../../src/ccs/service/senders.ts';
import type { DownstreamMessage } from '../../src/ccs/sdk/device.ts';
import { waitFor } from '../helpers/wait.ts';

let database: TestDatabase;
let nodeA: Awaited<ReturnType<typeof startCcsServer>>;
let nodeB: Awaited<ReturnType<typeof startCcsServer>>;
let bus: string;

before(async () => {
  database = await createTestDatabase();
  bus = `redis://127.0.0.1:6379?channel=ocp-ccs-test-${randomBytes(4).toString('hex')}`;
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


/** A node's reads of the messages pending for one device or sender (ocp_ccs_queue_reads_total). */
async function queueReads(node: typeof nodeA, queue: 'downstream' | 'upstream'): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const wanted = `ocp_ccs_queue_reads_total{queue="${queue}"} `;
  const line = text.split('\n').find((candidate) => candidate.startsWith(wanted));
  return line ? Number(line.slice(wanted.length)) : 0;
}

/** The nodes as seen by a new sender: nothing an earlier test left un-ACKed reaches its connections. */
const globalA = () => nodeA;
const globalB = () => nodeB;
async function newSender<Nodes extends Array<typeof nodeA>>(...nodes: Nodes): Promise<Nodes> {
  const { sender_id, api_key } = await new Senders(nodeA.context.store.db).create('another app');
  return nodes.map((node) => ({ ...node, senderId: sender_id, apiKey: api_key })) as Nodes;
}

test('messages crossing nodes are handed on from the announcement: one store read per session, none per message', async () => {
  const messages = 30;
  const [nodeA, nodeB] = await newSender(globalA(), globalB());
  const downstreamReads = await queueReads(nodeB, 'downstream');
  const phone = await newDevice(nodeB);
  // The session's one read of what was pending when it attached.
  await waitFor('the device session read the store', async () => (await queueReads(nodeB, 'downstream')) === downstreamReads + 1 || undefined);
  const upstreamReads = await queueReads(nodeA, 'upstream');
  const app = await rawApp(nodeA);
  await waitFor('the app-server connection read the store', async () => (await queueReads(nodeA, 'upstream')) === upstreamReads + 1 || undefined);

  for (let i = 0; i < messages; i++) app.send({ to: phone.registration.registration_id, message_id: `burst-${i}`, data: { i: String(i) } });
  const received = await phone.next(messages);
  assert.deepEqual(received.map((message) => message.data), Array.from({ length: messages }, (_, i) => ({ i: String(i) })));
  for (let i = 0; i < messages; i++) await phone.device.send({ to: nodeA.senderId, message_id: `burst-up-${i}`, data: { i: String(i) } });
  const upstream = new Set<unknown>();
  while (upstream.size < messages) {
    const json = await app.next();
    if (json.message_type === undefined) upstream.add(json.message_id);
  }
  assert.equal(await queueReads(nodeB, 'downstream'), downstreamReads + 1);
  assert.equal(await queueReads(nodeA, 'upstream'), upstreamReads + 1);
  app.client.close();
  phone.device.close();
});

test('a node whose connection of the sender is draining leaves announced upstream to the sender\'s new connection on another node', async () => {
  const started = await startCcsServer({ database: database.url, bus });
  const [nodeA, nodeB, nodeC] = await newSender(globalA(), globalB(), started);
  try {
    const phone = await newDevice(nodeC);
    const oldApp = await rawApp(nodeB);
    // Left un-ACKed, it keeps the draining connection open (§4.5: until its grace period ends).
    await phone.device.send({ to: nodeA.senderId, message_id: 'before-drain', data: {} });
    assert.equal((await oldApp.next()).message_id, 'before-drain');
    const drain = await fetch(`${nodeB.url}/ccs/admin/drain`, { method: 'POST', headers: { authorization: `Bearer ${readFileSync(join(nodeB.dataDir, 'admin.token'), 'utf8').trim()}` } });
    assert.equal(drain.status, 200);
    assert.equal((await oldApp.next()).control_type, 'CONNECTION_DRAINING');

    const reads = await queueReads(nodeA, 'upstream');
    const newApp = await rawApp(nodeA);
    await waitFor('the new connection read the store', async () => (await queueReads(nodeA, 'upstream')) === reads + 1 || undefined);
    await phone.device.send({ to: nodeA.senderId, message_id: 'after-drain', data: {} });
    // What the draining connection had in flight comes again on the new one (allowed: ACKs hold on one connection).
    const ids: unknown[] = [];
    while (!ids.includes('after-drain')) ids.push((await newApp.next()).message_id);
    assert.deepEqual(ids.filter((id) => id !== 'before-drain'), ['after-drain']);
    await oldApp.quiet(500);
    oldApp.client.close();
    newApp.client.close();
    phone.device.close();
  } finally {
    await started.stop();
  }
});

test('what a device\'s old session on node A leaves un-ACKed goes to its new session on node B when the old one closes', async () => {
  const [nodeA, nodeB] = await newSender(globalA(), globalB());
  const phone = await newDevice(nodeA, { autoAck: false });
  const reads = await queueReads(nodeB, 'downstream');
  const later: DownstreamMessage[] = [];
  const newer = await connectDevice(nodeB, phone.registration, {}, (message) => later.push(message));
  await waitFor('the new session read the store', async () => (await queueReads(nodeB, 'downstream')) === reads + 1 || undefined);
  // Stored on A, which holds a session of the device: handed to it there, announced to nobody.
  const app = await rawApp(nodeA);
  app.send({ to: phone.registration.registration_id, message_id: 'left-over', data: { left: 'over' } });
  assert.equal((await app.next()).message_type, 'ack');
  assert.deepEqual((await phone.next())[0]!.data, { left: 'over' });
  phone.device.close();
  await waitFor('the new session got the message', () => later.length > 0 || undefined);
  assert.deepEqual(later.map((message) => message.data), [{ left: 'over' }]);
  assert.equal(await queueReads(nodeB, 'downstream'), reads + 1);
  app.client.close();
  newer.close();
});
