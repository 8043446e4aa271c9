import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Accounts } from '../../src/auth/accounts.ts';
import { Senders } from '../../src/ccs/service/senders.ts';
import { Registrations } from '../../src/ccs/service/registrations.ts';
import { MessageQueues } from '../../src/ccs/service/queues.ts';
import { postgresPoolOf } from '../../src/store/db.ts';
import { describeEachDialect } from '../helpers/dialects.ts';

describeEachDialect('ccs store', (store, dialect) => {
  let clock = 1_000_000;
  const now = () => clock;

  /** A new sender and a device registered for it. */
  async function registeredDevice(app: string) {
    const { sender_id } = await new Senders(store.current.db, now).create(app);
    const device = await new Accounts(store.current.db, { accessTokenTtlSeconds: 60 }).createDevice();
    const registrations = new Registrations(store.current.db, now);
    const registration = await registrations.register({ accountId: device.id, jidLocal: device.jid_local }, sender_id, 'com.example');
    return { sender_id, device, registrations, registration };
  }

  test('a sender authenticates with its current key only; rotate and revoke take effect at once', async () => {
    const senders = new Senders(store.current.db, now);
    const { sender_id, api_key } = await senders.create('shop');
    assert.match(sender_id, /^\d{12}$/);
    const row = await senders.find(sender_id);
    assert.ok(row && !row.api_key_hash.includes(api_key), 'the key is stored hashed');
    assert.equal(await senders.authenticate(sender_id, api_key), true);
    assert.equal(await senders.authenticate(sender_id, api_key + 'x'), false);
    const rotated = await senders.rotate(sender_id);
    assert.equal(await senders.authenticate(sender_id, api_key), false);
    assert.equal(await senders.authenticate(sender_id, rotated), true);
    await senders.revoke(sender_id);
    assert.equal(await senders.authenticate(sender_id, rotated), false);
    assert.equal(await senders.byApiKey(rotated), undefined);
  });

  test('re-registering marks the old token unregistered and drops its topics and queue', async () => {
    const { sender_id, device, registrations, registration: first } = await registeredDevice('app');
    await registrations.subscribe(first, 'news');
    await new MessageQueues(store.current.db, now).commitDownstream([{
      rows: [{ id: 'd1', sender_id, message_id: 'm1', registration_id: first.registration_id, jid_local: device.jid_local, collapse_key: null, priority: 0, delay_while_idle: 0, receipt_requested: 0, payload: '{}', expires_at: clock + 1000, created_at: clock }],
    }]);
    const second = await registrations.register({ accountId: device.id, jidLocal: device.jid_local }, sender_id, 'com.example');
    assert.notEqual(second.registration_id, first.registration_id);
    assert.notEqual((await registrations.find(first.registration_id))?.unregistered_at, null);
    assert.deepEqual(await registrations.topicsOf(first.registration_id), []);
    assert.deepEqual(await new MessageQueues(store.current.db, now).pendingDownstream(device.jid_local), []);
    assert.equal((await registrations.activeFor(device.id, sender_id))?.registration_id, second.registration_id);
  });

  test('a (sender, message_id) is accepted once, even when two writers race', async () => {
    const queues = new MessageQueues(store.current.db, now);
    const key = { sender_id: 's1', message_id: 'dup' };
    const results = await Promise.all([queues.commitDownstream([{ key, rows: [] }]), queues.commitDownstream([{ key, rows: [] }])]);
    assert.deepEqual(results.flat().sort(), [false, true]);
  });

  test('racing writers of one (sender, message_id) store its rows once, beside a request without an id', async () => {
    const { sender_id, device, registration } = await registeredDevice('race');
    const queues = new MessageQueues(store.current.db, now);
    const row = (id: string) => ({ id, sender_id, message_id: 'raced', registration_id: registration.registration_id, jid_local: device.jid_local, collapse_key: null, priority: 0, delay_while_idle: 0, receipt_requested: 0, payload: '{}', expires_at: clock + 1000, created_at: clock });
    const key = { sender_id, message_id: 'raced' };
    const results = await Promise.all(['r1', 'r2'].map((id) => queues.commitDownstream([{ key, rows: [row(id)] }, { rows: [row(`${id}-free`)] }])));
    assert.deepEqual(results.map(([keyed]) => keyed).sort(), [false, true]);
    assert.deepEqual(results.map(([, free]) => free), [true, true]);
    const stored = (await queues.pendingDownstream(device.jid_local)).map((r) => r.id).sort();
    assert.deepEqual(stored, [results[0]![0] ? 'r1' : 'r2', 'r1-free', 'r2-free'].sort());
  });

  test('batches of any size are stored, deduplicated, looked up and deleted whole (statements are cut into fixed-size chunks)', async () => {
    const { sender_id, device, registrations, registration } = await registeredDevice('batch');
    const queues = new MessageQueues(store.current.db, now);
    const entry = (i: number) => ({
      key: { sender_id, message_id: `b${i}` },
      rows: [{ id: `bd${i}`, sender_id, message_id: `b${i}`, registration_id: registration.registration_id, jid_local: device.jid_local, collapse_key: null, priority: i % 2, delay_while_idle: 0, receipt_requested: 0, payload: `{"i":${i}}`, expires_at: clock + 1000, created_at: clock }],
    });
    // 343 = 256 + 64 + 16 + 4 + 3×1; then a batch overlapping it by 100.
    assert.deepEqual(await queues.commitDownstream(Array.from({ length: 343 }, (_, i) => entry(i))), Array(343).fill(true));
    const again = await queues.commitDownstream(Array.from({ length: 110 }, (_, i) => entry(243 + i)));
    assert.deepEqual(again, [...Array(100).fill(true).map(() => false), ...Array(10).fill(true)]);
    const pending = await queues.pendingDownstream(device.jid_local);
    assert.equal(pending.length, 353);
    assert.deepEqual(pending.find((row) => row.id === 'bd7'), entry(7).rows[0]);
    const found = await registrations.findMany([...Array(300).fill(registration.registration_id), 'unknown']);
    assert.deepEqual([...found.keys()], [registration.registration_id]);
    await queues.completeDownstream(pending.slice(0, 350).map((row) => row.id), []);
    assert.deepEqual((await queues.pendingDownstream(device.jid_local)).map((row) => row.id).sort(), pending.slice(350).map((row) => row.id).sort());
  });

  // PostgreSQL only: SQLite takes the transaction.
  if (dialect === 'postgres') test('a batch is stored by one named statement, prepared once per connection', async () => {
    const { sender_id, device, registration } = await registeredDevice('prepared');
    const queues = new MessageQueues(store.current.db, now);
    const row = (id: string) => ({ id, sender_id, message_id: id, registration_id: registration.registration_id, jid_local: device.jid_local, collapse_key: null, priority: 0, delay_while_idle: 0, receipt_requested: 0, payload: '{}', expires_at: clock + 1000, created_at: clock });
    for (let i = 0; i < 5; i++) await queues.commitDownstream([{ key: { sender_id, message_id: `p${i}` }, rows: [row(`p${i}`)] }]);
    // Every connection of the pool at once: those that ran it hold it prepared (an unnamed statement is not listed).
    const pool = postgresPoolOf(store.current.db)!;
    const clients = await Promise.all(Array.from({ length: pool.totalCount }, () => pool.connect()));
    try {
      const held = await Promise.all(clients.map(async (client) => (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name = 'ocp-ccs-commit-downstream'")).rows[0]!.n));
      assert.ok(held.some((n) => n === 1), `prepared on ${held.filter(Boolean).length} of ${held.length} connections`);
      assert.ok(held.every((n) => n <= 1));
    } finally {
      for (const client of clients) client.release();
    }
  });
});
