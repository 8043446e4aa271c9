// The app-server SDK's retry rules against the real server, the
// INTERNAL_SERVER_ERROR NACK when the store fails, and the login identity
// forms of CCS §1.2.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { CcsAppServer, CcsNackError } from '../../../src/ccs/sdk/appserver.ts';
import { senderIdOf } from '../../../src/ccs/transports/xmpp.ts';
import { newDevice, rawApp, startCcsServer } from '../helpers.ts';

test('login identities: SENDER, SENDER@gcm.googleapis.com, SENDER@fcm.googleapis.com; authzid empty or the same sender', () => {
  assert.equal(senderIdOf('123456', ''), '123456');
  assert.equal(senderIdOf('123456@gcm.googleapis.com', ''), '123456');
  assert.equal(senderIdOf('123456@fcm.googleapis.com', '123456@gcm.googleapis.com'), '123456');
  assert.equal(senderIdOf('123456', '999@gcm.googleapis.com'), undefined);
  assert.equal(senderIdOf('not-a-sender', ''), undefined);
});

describe('app-server SDK', () => {
  let server: Awaited<ReturnType<typeof startCcsServer>>;
  before(async () => {
    server = await startCcsServer({ ccsMaxPending: 1, ccsDeviceRate: 0 });
  });
  after(() => server.stop());

  test('SERVICE_UNAVAILABLE NACKs (server window 1, SDK window 5) are retried with backoff until ACKed', async () => {
    const phone = await newDevice(server);
    const app = new CcsAppServer({ host: '127.0.0.1', port: server.ports.ccs!, ca: server.ca, senderId: server.senderId, apiKey: server.apiKey, window: 5, initialBackoffMs: 20, maxRetries: 10 });
    await app.connect();
    const acks = await Promise.all(Array.from({ length: 5 }, (_, i) => app.send({ to: phone.registration.registration_id, message_id: `retry-${i}`, data: { i: String(i) } })));
    assert.deepEqual(acks.map((a) => a.message_type), ['ack', 'ack', 'ack', 'ack', 'ack']);
    assert.deepEqual((await phone.next(5)).map((m) => m.data!.i).sort(), ['0', '1', '2', '3', '4']);
    // A NACK that must not be retried is reported.
    await assert.rejects(app.send({ to: 'nobody' }), (error: unknown) => error instanceof CcsNackError && error.code === 'BAD_REGISTRATION');
    app.close();
    phone.device.close();
  });

  test('a store failure NACKs INTERNAL_SERVER_ERROR and loses nothing accepted', async () => {
    const phone = await newDevice(server);
    const app = await rawApp(server);
    await sql`ALTER TABLE ccs_downstream RENAME TO ccs_downstream_away`.execute(server.context.store.db);
    app.send({ to: phone.registration.registration_id, message_id: 'during-failure' });
    const nack = await app.next();
    assert.equal(nack.error, 'INTERNAL_SERVER_ERROR');
    await sql`ALTER TABLE ccs_downstream_away RENAME TO ccs_downstream`.execute(server.context.store.db);
    app.send({ to: phone.registration.registration_id, message_id: 'after-failure' });
    assert.equal((await app.next()).message_type, 'ack');
    assert.equal((await phone.next())[0]!.message_id.length > 0, true);
    app.client.close();
    phone.device.close();
  });
});

test('the device SDK answers the c2s server\'s idle pings, so a quiet device stays connected', { timeout: 20_000 }, async () => {
  const server = await startCcsServer({ xmppIdleTimeoutSeconds: 1, xmppPingTimeoutSeconds: 1 });
  try {
    const phone = await newDevice(server);
    let closed = false;
    phone.device.on('close', () => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 3500));
    assert.equal(closed, false);
    const app = await rawApp(server);
    app.send({ to: phone.registration.registration_id, message_id: 'after-quiet' });
    assert.equal((await app.next()).message_type, 'ack');
    await phone.next();
    app.client.close();
    phone.device.close();
  } finally {
    await server.stop();
  }
});
