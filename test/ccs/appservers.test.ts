import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AppServerHub } from '../../src/ccs/service/appservers.ts';
import { CcsCounters } from '../../src/ccs/service/counters.ts';
import type { DownstreamPipeline } from '../../src/ccs/service/downstream.ts';
import { ACK_GATHER_MS } from '../../src/ccs/service/group-commit.ts';
import type { MessageQueues, UpstreamRow } from '../../src/ccs/service/queues.ts';
import { LocalBus } from '../../src/events/bus.ts';
import { silentLogger } from '../../src/log.ts';
import { waitFor } from '../helpers/wait.ts';

const upstream = (n: number): UpstreamRow => ({
  id: `u${n}`, sender_id: 's', message_id: `m${n}`, kind: 'upstream', payload: JSON.stringify({ message_id: `m${n}`, data: {} }), expires_at: Date.now() + 60_000, created_at: Date.now() + n,
});

test('an app server\'s ACKs are written in batches gathered for ACK_GATHER_MS, not one statement per ACK', async () => {
  const batches: Array<{ at: number; ids: string[] }> = [];
  const queues = {
    pendingUpstream: async () => [],
    acknowledgeUpstream: async (ids: readonly string[]) => void batches.push({ at: performance.now(), ids: [...ids] }),
  } as unknown as MessageQueues;
  const hub = new AppServerHub({ queues, bus: new LocalBus(), downstream: {} as DownstreamPipeline, log: silentLogger(), maxPending: 10, maxJsonDepth: 64, drainGraceMs: 1000, counters: new CcsCounters() });
  const sent: string[] = [];
  const connection = hub.attach('s', { sendGcm: (json) => sent.push(json), close: () => {} });
  await nextTurn();
  hub.offer([1, 2, 3].map(upstream));
  assert.equal(sent.length, 3);

  // Three ACKs, each in a turn of its own.
  const ackedAt = new Map<string, number>();
  for (const n of [1, 2, 3]) {
    ackedAt.set(`u${n}`, performance.now());
    assert.equal(hub.receive(connection, JSON.stringify({ message_type: 'ack', message_id: `m${n}` }), undefined), undefined);
    await nextTurn();
  }
  await hub.flush();
  const [first] = batches;
  assert.ok(first, 'written');
  const firstAck = ackedAt.get('u1')!;
  assert.ok(first.at - firstAck >= ACK_GATHER_MS * 0.9, `the first batch waited for more (${(first.at - firstAck).toFixed(1)} ms after the first ACK)`);
  // Every ACK received before the first batch was written is in it (a slow machine may leave a later one for the next).
  for (const [id, at] of ackedAt) if (at < first.at) assert.ok(first.ids.includes(id), `${id} in the first batch: ${JSON.stringify(batches)}`);
  assert.deepEqual(batches.flatMap((batch) => batch.ids).sort(), ['u1', 'u2', 'u3']);
  hub.close();
});

test('a message the app server ACKed is not sent again to the sender\'s next connection while its ACK is still being written', async () => {
  let stored = [upstream(1)];
  let releaseAck: () => void = () => {};
  const queues = {
    pendingUpstream: async () => stored,
    acknowledgeUpstream: (ids: readonly string[]) =>
      new Promise<void>((resolve) => {
        releaseAck = () => {
          stored = stored.filter((row) => !ids.includes(row.id));
          resolve();
        };
      }),
  } as unknown as MessageQueues;
  const hub = new AppServerHub({ queues, bus: new LocalBus(), downstream: {} as DownstreamPipeline, log: silentLogger(), maxPending: 10, maxJsonDepth: 64, drainGraceMs: 1000, counters: new CcsCounters() });
  const first: string[] = [];
  const connection = hub.attach('s', { sendGcm: (json) => first.push(json), close: () => {} });
  await waitFor('the stored message sent', () => first.length === 1 || undefined, 1000, 1);
  hub.receive(connection, JSON.stringify({ message_type: 'ack', message_id: 'm1' }), undefined);
  hub.detach(connection);
  // The ACK's batch is gathering or being written, not yet committed; the sender connects again.
  const second: string[] = [];
  hub.attach('s', { sendGcm: (json) => second.push(json), close: () => {} });
  await new Promise((resolve) => setTimeout(resolve, ACK_GATHER_MS * 4));
  assert.deepEqual(second, [], 'the ACKed message is not delivered twice');
  releaseAck();
  await hub.flush();
  hub.close();
});
