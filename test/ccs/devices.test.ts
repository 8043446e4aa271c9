import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceHub } from '../../src/ccs/service/devices.ts';
import { CcsCounters } from '../../src/ccs/service/counters.ts';
import type { DownstreamRow, MessageQueues } from '../../src/ccs/service/queues.ts';
import type { Registrations } from '../../src/ccs/service/registrations.ts';
import { LocalBus } from '../../src/events/bus.ts';
import { silentLogger } from '../../src/log.ts';

const row: DownstreamRow = {
  id: 'd1', sender_id: 's', message_id: 'm1', registration_id: 'r', jid_local: 'dev', collapse_key: null,
  priority: 0, delay_while_idle: 0, receipt_requested: 0, payload: '{"message_id":"d1"}', expires_at: Date.now() + 60_000, created_at: Date.now(),
};

test('a message ACKed on one session is not sent again by the next one while its deletion is still being written', async () => {
  let stored = [row];
  let releaseDelete: () => void = () => {};
  const queues = {
    pendingDownstream: async () => stored,
    completeDownstream: (ids: readonly string[]) =>
      new Promise<void>((resolve) => {
        releaseDelete = () => {
          stored = stored.filter((r) => !ids.includes(r.id));
          resolve();
        };
      }),
  } as unknown as MessageQueues;
  const hub = new DeviceHub({ queues, registrations: {} as Registrations, bus: new LocalBus(), log: silentLogger(), domain: 'localhost', maxPending: 10, maxJsonDepth: 64, forApps: () => {}, counters: new CcsCounters() });
  const sent = (list: string[]) => ({ sendGcm: (json: string) => list.push(json), close: () => {} });
  const first: string[] = [];
  const session = hub.attach({ accountId: 'a', jidLocal: 'dev' }, sent(first));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(first, [row.payload]);
  hub.receive(session, JSON.stringify({ message_type: 'ack', message_id: 'd1' }));
  hub.detach(session);
  await new Promise((resolve) => setTimeout(resolve, 20)); // the ACK's batch is being written, not yet committed
  const second: string[] = [];
  hub.attach({ accountId: 'a', jidLocal: 'dev' }, sent(second));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(second, [], 'the ACKed message is not delivered twice');
  releaseDelete();
  await hub.flush();
  hub.close();
});
