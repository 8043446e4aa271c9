// The Redis bus between nodes, on a redis-server this test starts: events for
// every node reach each node once; an event for a device session reaches only
// the node(s) that claimed its routing key, and nobody once released, once
// the claim expired (a killed node) or if nobody claimed it; a Redis restart
// (empty) gets every claim registered again before the node re-reads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { silentLogger } from '../../src/log.ts';
import { RedisBus } from '../../src/events/redis-bus.ts';
import { routes, type BusEvent } from '../../src/events/bus.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { waitFor } from '../helpers/wait.ts';

const CHANNEL = `ocp-test-${process.pid}`;
let redisUrl: string;
let redis: TestRedis;
let nodeA: RedisBus;
let nodeB: RedisBus;

interface Watcher {
  /** What was sent to any node's own channel: each Redis message, with the events it carried. */
  messages: Array<{ channel: string; events: BusEvent[] }>;
  /** Resolves when the broadcast `event` arrives (what was sent before it is in `messages`). */
  until(match: (e: BusEvent) => boolean): Promise<void>;
  close(): void;
}

/** A plain client that sees every message of this test's channels. */
async function watcher(): Promise<Watcher> {
  const client = new Redis(redis.url);
  const messages: Array<{ channel: string; events: BusEvent[] }> = [];
  const waiting = new Set<{ match: (e: BusEvent) => boolean; resolve: () => void }>();
  client.on('pmessage', (_pattern: string, channel: string, message: string) => {
    const parsed = JSON.parse(message) as BusEvent | BusEvent[];
    const events = Array.isArray(parsed) ? parsed : [parsed];
    if (channel.startsWith(`${CHANNEL}:node:`)) messages.push({ channel, events });
    for (const event of events) for (const waiter of waiting) if (waiter.match(event)) (waiting.delete(waiter), waiter.resolve());
  });
  await client.psubscribe(`${CHANNEL}*`);
  return {
    messages,
    until: (match) => new Promise((resolve) => waiting.add({ match, resolve })),
    close: () => client.disconnect(),
  };
}

before(async () => {
  redis = await startRedis();
  redisUrl = `${redis.url}?channel=${CHANNEL}`;
  nodeA = await waitFor('redis-server', () => RedisBus.connect(redisUrl, silentLogger(), { nodeId: 'node-a' }).catch(() => undefined), 10_000);
  nodeB = await RedisBus.connect(redisUrl, silentLogger(), { nodeId: 'node-b' });
});
after(async () => {
  await nodeA?.close();
  await nodeB?.close();
  await redis?.stop();
});

function next(bus: RedisBus, match: (e: BusEvent) => boolean): Promise<BusEvent> {
  return new Promise((resolve) => {
    const off = bus.subscribe((event) => {
      if (match(event)) {
        off();
        resolve(event);
      }
    });
  });
}

/** What each node hears while `act` runs, up to a broadcast marker published after it (so nothing is still in flight). */
async function heard(act: () => Promise<void>, watching?: Watcher): Promise<{ a: BusEvent[]; b: BusEvent[] }> {
  const seen = { a: [] as BusEvent[], b: [] as BusEvent[] };
  const marker = `marker-${Math.random()}`;
  const isMarker = (e: BusEvent) => e.type === 'credentials-revoked' && e.tokenHash === marker;
  const offA = nodeA.subscribe((e) => isMarker(e) || seen.a.push(e));
  const offB = nodeB.subscribe((e) => isMarker(e) || seen.b.push(e));
  const markers = Promise.all([next(nodeA, isMarker), next(nodeB, isMarker), watching?.until(isMarker)]);
  await act();
  await nodeA.publish({ type: 'credentials-revoked', tokenHash: marker });
  await markers;
  offA();
  offB();
  return seen;
}

test('an event for every node reaches the other node and the publisher, once each', async () => {
  const event: BusEvent = { type: 'printer-changed', printerId: `p-${Date.now()}`, what: 'jobs' };
  const seen = await heard(() => nodeA.publish(event));
  assert.deepEqual(seen.a, [event]);
  assert.deepEqual(seen.b, [event]);
});

test('a handler that unsubscribed hears nothing more', async () => {
  let count = 0;
  const off = nodeB.subscribe(() => count++);
  off();
  await heard(() => nodeA.publish({ type: 'printer-changed', printerId: 'p', what: 'printer' }));
  assert.equal(count, 0);
});

test('an event for a session reaches only the node that claimed its key, until it releases it', async () => {
  await nodeA.claim(routes.ccsDevice('phone-1'));
  const forPhone: BusEvent = { type: 'ccs-device', deviceJidLocal: 'phone-1' };
  // Published on the other node, and on the holder itself.
  for (const publisher of [nodeB, nodeA]) {
    const seen = await heard(() => publisher.publish(forPhone));
    assert.deepEqual(seen.a, [forPhone]);
    assert.deepEqual(seen.b, []);
  }
  nodeA.release(routes.ccsDevice('phone-1'));
  const seen = await heard(() => nodeB.publish(forPhone));
  assert.deepEqual(seen, { a: [], b: [] });
});

test('claims are counted: the key stays routed here until its last claim is released', async () => {
  const key = routes.ccsSender('4711');
  await nodeB.claim(key);
  await nodeB.claim(key);
  nodeB.release(key);
  const event: BusEvent = { type: 'ccs-sender', senderId: '4711' };
  assert.deepEqual(await heard(() => nodeA.publish(event)), { a: [], b: [event] });
  nodeB.release(key);
  assert.deepEqual(await heard(() => nodeA.publish(event)), { a: [], b: [] });
});

test('a push for several recipients reaches each node holding one of them once, and a key nobody claimed goes nowhere', async () => {
  await nodeA.claim(routes.push('Robot-A'));
  await nodeB.claim(routes.push('robot-b'));
  const watching = await watcher();
  try {
    const both: BusEvent = { type: 'printer', kind: 'jobs', printerId: 'p1', recipients: ['robot-a', 'ROBOT-B'] };
    assert.deepEqual(await heard(() => nodeB.publish(both), watching), { a: [both], b: [both] });
    const nobody: BusEvent = { type: 'printer', kind: 'jobs', printerId: 'p2', recipients: ['robot-z'] };
    assert.deepEqual(await heard(() => nodeA.publish(nobody), watching), { a: [], b: [] });
    assert.deepEqual(watching.messages.map((m) => m.channel).sort(), [`${CHANNEL}:node:node-a`, `${CHANNEL}:node:node-b`]);
  } finally {
    watching.close();
    nodeA.release(routes.push('robot-a'));
    nodeB.release(routes.push('robot-b'));
  }
});

test('events published in one turn reach each node as one message, in order, a broadcast among them in its place', async () => {
  const devices = ['batch-a1', 'batch-b1', 'batch-a2'];
  await nodeA.claim(routes.ccsDevice('batch-a1'));
  await nodeA.claim(routes.ccsDevice('batch-a2'));
  await nodeB.claim(routes.ccsDevice('batch-b1'));
  const watching = await watcher();
  const receivedBefore = nodeA.received.get('ccs-device') ?? 0;
  try {
    const forDevice = (jidLocal: string, n: number): BusEvent => ({ type: 'ccs-device', deviceJidLocal: jidLocal, messages: [{ id: `${jidLocal}-${n}` }] });
    const turn: BusEvent[] = [
      forDevice('batch-a1', 1),
      forDevice('batch-b1', 1),
      forDevice('batch-a2', 1),
      { type: 'printer-changed', printerId: 'between', what: 'jobs' },
      forDevice('batch-a1', 2),
      forDevice('nobody', 1),
      forDevice('batch-b1', 2),
    ];
    const seen = await heard(() => Promise.all(turn.map((event) => nodeB.publish(event))).then(() => {}), watching);
    // Each node hears its events and the broadcast in the order published.
    assert.deepEqual(seen.a, [turn[0], turn[2], turn[3], turn[4]]);
    assert.deepEqual(seen.b, [turn[1], turn[3], turn[6]]);
    // One Redis message per node for the events before the broadcast, one per node for those after it.
    assert.deepEqual(
      watching.messages.map((m) => [m.channel, m.events.length]),
      [
        [`${CHANNEL}:node:node-a`, 2],
        [`${CHANNEL}:node:node-b`, 1],
        [`${CHANNEL}:node:node-a`, 1],
        [`${CHANNEL}:node:node-b`, 1],
      ],
    );
    // Counted as events, not as Redis messages.
    assert.equal(nodeA.received.get('ccs-device'), receivedBefore + 3);
  } finally {
    watching.close();
    for (const jidLocal of devices) (jidLocal.includes('-a') ? nodeA : nodeB).release(routes.ccsDevice(jidLocal));
  }
});

test("a node killed while holding a key stops getting its events once its claim's TTL is over", async () => {
  const watching = await watcher();
  // A node in a child process, 600 ms TTL, killed without a word.
  const script = `
    import { RedisBus } from './src/events/redis-bus.ts';
    import { silentLogger } from './src/log.ts';
    const bus = await RedisBus.connect(${JSON.stringify(redisUrl)}, silentLogger(), { nodeId: 'doomed', registryTtlMs: 600 });
    await bus.claim('ccs-device:phone-doomed');
    console.log('claimed');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await waitFor('the doomed node to claim', () => output.includes('claimed'), 15_000);
    const event: BusEvent = { type: 'ccs-device', deviceJidLocal: 'phone-doomed' };
    await heard(() => nodeA.publish(event), watching);
    assert.deepEqual(watching.messages, [{ channel: `${CHANNEL}:node:doomed`, events: [event] }]);
    child.kill('SIGKILL');
    await once(child, 'exit');
    await waitFor('the claim to expire', async () => {
      watching.messages.length = 0;
      await heard(() => nodeA.publish(event), watching);
      return watching.messages.length === 0;
    }, 5_000);
  } finally {
    watching.close();
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  }
});

test('after Redis restarts empty, every claim is registered again before the node re-reads the store', async () => {
  await nodeA.claim(routes.ccsDevice('phone-restart'));
  await redis?.stop();
  await waitFor('both nodes to see Redis gone', () => !nodeA.up && !nodeB.up);
  const event: BusEvent = { type: 'ccs-device', deviceJidLocal: 'phone-restart' };
  // What a node does on resume: read the store, and from then on events must arrive.
  const resumed = (bus: RedisBus) =>
    new Promise<void>((resolve) => {
      const off = bus.onResumed(() => {
        off();
        resolve();
      });
    });
  const bothResumed = Promise.all([resumed(nodeA), resumed(nodeB)]);
  redis.start();
  await bothResumed;
  assert.deepEqual(await heard(() => nodeB.publish(event)), { a: [event], b: [] });
  nodeA.release(routes.ccsDevice('phone-restart'));
});

test('received counts the events each node got, by type', async () => {
  const before = nodeB.received.get('ccs-device') ?? 0;
  await nodeB.claim(routes.ccsDevice('counted'));
  await heard(() => nodeA.publish({ type: 'ccs-device', deviceJidLocal: 'counted' }));
  assert.equal(nodeB.received.get('ccs-device'), before + 1);
  nodeB.release(routes.ccsDevice('counted'));
});

test('describe (ocp status) says how many routing keys the node holds', async () => {
  await nodeA.claim(routes.ccsSender('status-1'));
  await nodeA.claim(routes.ccsSender('status-2'));
  assert.match(nodeA.describe(), /^redis publisher ready, subscriber ready; node node-a holds 2 routing keys$/);
  nodeA.release(routes.ccsSender('status-1'));
  nodeA.release(routes.ccsSender('status-2'));
  assert.match(nodeA.describe(), /holds 0 routing keys$/);
});
