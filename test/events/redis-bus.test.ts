import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/log.ts';
import { RedisBus } from '../../src/events/redis-bus.ts';
import type { BusEvent } from '../../src/events/bus.ts';

const REDIS_URL = `${process.env.OCP_TEST_REDIS ?? 'redis://127.0.0.1:6379'}?channel=ocp-test-${process.pid}`;
let nodeA: RedisBus;
let nodeB: RedisBus;

before(async () => {
  nodeA = await RedisBus.connect(REDIS_URL, silentLogger());
  nodeB = await RedisBus.connect(REDIS_URL, silentLogger());
});
after(async () => {
  await nodeA.close();
  await nodeB.close();
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

test('an event published on one node reaches the other node and the publisher, once each', async () => {
  const printerId = `p-${Date.now()}`;
  const seenA: BusEvent[] = [];
  const seenB: BusEvent[] = [];
  const offA = nodeA.subscribe((e) => e.type === 'printer' && e.printerId === printerId && seenA.push(e));
  const offB = nodeB.subscribe((e) => e.type === 'printer' && e.printerId === printerId && seenB.push(e));
  const arrivedB = next(nodeB, (e) => e.type === 'printer' && e.printerId === printerId);
  const event: BusEvent = { type: 'printer', kind: 'jobs', printerId, recipients: ['robot1'] };
  await nodeA.publish(event);
  assert.deepEqual(await arrivedB, event);
  // A marker published after it proves nothing else is still in flight.
  const marker = next(nodeA, (e) => e.type === 'ccs-device' && e.deviceJidLocal === printerId);
  await nodeB.publish({ type: 'ccs-device', deviceJidLocal: printerId });
  await marker;
  offA();
  offB();
  assert.equal(seenA.length, 1);
  assert.equal(seenB.length, 1);
});

test('a handler that unsubscribed hears nothing more', async () => {
  let count = 0;
  const off = nodeB.subscribe(() => count++);
  off();
  const marker = next(nodeB, (e) => e.type === 'ccs-device' && e.deviceJidLocal === 'marker-2');
  await nodeA.publish({ type: 'ccs-device', deviceJidLocal: 'marker-2' });
  await marker;
  assert.equal(count, 0);
});
