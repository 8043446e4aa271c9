// Delivery semantics: redelivery after a dropped device connection, TTL,
// collapse_key, priority, delay_while_idle, topics and conditions, the
// pending windows in both directions, and connection draining.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CcsDevice } from '../../src/ccs/sdk/device.ts';
import { CcsAppServer } from '../../src/ccs/sdk/appserver.ts';
import { newDevice, rawApp, settle, startCcsServer, type RawApp } from './helpers.ts';

type Server = Awaited<ReturnType<typeof startCcsServer>>;

describe('CCS delivery', () => {
  let server: Server;
  let app: RawApp;
  before(async () => {
    server = await startCcsServer({ ccsMaxPending: 3 });
    app = await rawApp(server);
  });
  after(async () => {
    app.client.close();
    await server.stop();
  });

  /** Sends and waits for the ACK. */
  async function send(json: Record<string, unknown>): Promise<void> {
    app.send(json);
    const answer = await app.next();
    assert.equal(answer.message_type, 'ack', JSON.stringify(answer));
  }

  test('a message the device did not ACK comes again after it reconnects, once it ACKs never again', async () => {
    const phone = await newDevice(server, { autoAck: false });
    await send({ to: phone.registration.registration_id, message_id: 'redeliver', data: { n: '1' } });
    const [first] = await phone.next();
    phone.device.drop();
    await settle(100);
    await phone.reconnect();
    const [second] = await phone.next();
    assert.equal(second!.message_id, first!.message_id);
    phone.device.ack(second!.message_id);
    await settle(200);
    phone.device.close();
    await phone.reconnect();
    await settle(300);
    assert.equal(phone.received.length, 2);
    phone.device.close();
  });

  test('time_to_live: expired messages are not delivered; 0 means now or never', async () => {
    const phone = await newDevice(server, { connect: false });
    await send({ to: phone.registration.registration_id, message_id: 'ttl-1', time_to_live: 1, data: { m: 'short' } });
    await send({ to: phone.registration.registration_id, message_id: 'ttl-0', time_to_live: 0, data: { m: 'now' } });
    await send({ to: phone.registration.registration_id, message_id: 'ttl-long', time_to_live: 60, data: { m: 'long' } });
    await settle(1200);
    await phone.reconnect();
    const [only] = await phone.next();
    assert.deepEqual(only!.data, { m: 'long' });
    // Online, a TTL 0 message is delivered.
    await send({ to: phone.registration.registration_id, message_id: 'ttl-0-online', time_to_live: 0, data: { m: 'now' } });
    assert.deepEqual((await phone.next())[0]!.data, { m: 'now' });
    await settle(200);
    assert.equal(phone.received.length, 2);
    phone.device.close();
  });

  test('collapse_key: the newest replaces older undelivered ones; high priority goes first', async () => {
    const phone = await newDevice(server, { connect: false });
    const to = phone.registration.registration_id;
    await send({ to, message_id: 'c1', collapse_key: 'score', data: { score: '1' } });
    await send({ to, message_id: 'plain', data: { other: 'x' } });
    await send({ to, message_id: 'c2', collapse_key: 'score', data: { score: '2' } });
    await send({ to, message_id: 'urgent', priority: 'high', data: { urgent: 'y' } });
    await send({ to, message_id: 'c3', collapse_key: 'score', data: { score: '3' } });
    await phone.reconnect();
    const messages = await phone.next(3);
    assert.deepEqual(
      messages.map((m) => m.data),
      [{ urgent: 'y' }, { other: 'x' }, { score: '3' }],
    );
    await settle(200);
    assert.equal(phone.received.length, 3);
    phone.device.close();
  });

  test('delay_while_idle holds a message while the device says it is idle', async () => {
    const phone = await newDevice(server);
    phone.device.setIdle(true);
    await settle(100);
    await send({ to: phone.registration.registration_id, message_id: 'idle-1', delay_while_idle: true, data: { held: '1' } });
    await send({ to: phone.registration.registration_id, message_id: 'idle-2', data: { now: '1' } });
    assert.deepEqual((await phone.next())[0]!.data, { now: '1' });
    await settle(200);
    assert.equal(phone.received.length, 1);
    phone.device.setIdle(false);
    assert.deepEqual((await phone.next())[0]!.data, { held: '1' });
    phone.device.close();
  });

  test('topics and conditions fan out to the subscribed devices only', async () => {
    const dogs = await newDevice(server, { app: 'com.example.pets' });
    const cats = await newDevice(server, { app: 'com.example.pets' });
    const both = await newDevice(server, { app: 'com.example.pets' });
    const token = (d: typeof dogs) => d.registration.password!;
    await CcsDevice.subscribe(server.url, token(dogs), dogs.registration.registration_id, 'dogs');
    await CcsDevice.subscribe(server.url, token(cats), cats.registration.registration_id, '/topics/cats');
    await CcsDevice.subscribe(server.url, token(both), both.registration.registration_id, 'dogs');
    await CcsDevice.subscribe(server.url, token(both), both.registration.registration_id, 'cats');
    app.send({ to: '/topics/dogs', message_id: 't1', data: { about: 'dogs' } });
    assert.deepEqual(await app.next(), { from: '/topics/dogs', message_id: 't1', message_type: 'ack' });
    const [dogNews] = await dogs.next();
    assert.equal(dogNews!.from, '/topics/dogs');
    await both.next();
    await send({ condition: "'dogs' in topics && 'cats' in topics", message_id: 't2', data: { about: 'both' } });
    assert.deepEqual((await both.next())[0]!.data, { about: 'both' });
    await CcsDevice.unsubscribe(server.url, token(both), both.registration.registration_id, 'dogs');
    await send({ condition: "'dogs' in topics || 'cats' in topics", message_id: 't3', data: { about: 'either' } });
    await dogs.next();
    await cats.next();
    await both.next();
    await settle(200);
    assert.deepEqual([dogs.received.length, cats.received.length, both.received.length], [2, 1, 3]);
    app.send({ condition: "'dogs' in topics &&", message_id: 't4' });
    assert.equal((await app.next()).error, 'INVALID_JSON');
    for (const d of [dogs, cats, both]) d.device.close();
  });

  test('window: requests beyond ccs-max-pending un-ACKed ones are NACKed SERVICE_UNAVAILABLE', async () => {
    const phone = await newDevice(server, { connect: false });
    // One write: all six arrive in one read, before any batch commits.
    app.client.send(Array.from({ length: 6 }, (_, i) => `<message><gcm xmlns="google:mobile:data">{"to":"${phone.registration.registration_id}","message_id":"w${i}"}</gcm></message>`).join(''));
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await app.next());
    const nacked = answers.filter((a) => a.message_type === 'nack');
    assert.equal(nacked.length, 3);
    assert.ok(nacked.every((a) => a.error === 'SERVICE_UNAVAILABLE'));
  });

  test('window upstream: at most ccs-max-pending un-ACKed upstream messages per connection', async () => {
    const phone = await newDevice(server);
    for (let i = 0; i < 5; i++) await phone.device.send({ to: server.senderId, message_id: `up-${i}`, data: { i: String(i) } });
    const got = [await app.next(), await app.next(), await app.next()];
    assert.deepEqual(got.map((m) => m.message_id), ['up-0', 'up-1', 'up-2']);
    await app.quiet();
    app.send({ to: phone.registration.registration_id, message_id: 'up-0', message_type: 'ack' });
    assert.equal((await app.next()).message_id, 'up-3');
    await app.quiet();
    for (const id of ['up-1', 'up-2', 'up-3']) app.send({ to: phone.registration.registration_id, message_id: id, message_type: 'ack' });
    assert.equal((await app.next()).message_id, 'up-4');
    app.send({ to: phone.registration.registration_id, message_id: 'up-4', message_type: 'ack' });
    phone.device.close();
  });

  test('an upstream message sent again after its app server ACKed it (the device saw no ACK) is ACKed, not delivered again', async () => {
    const phone = await newDevice(server);
    await phone.device.send({ to: server.senderId, message_id: 'resent', data: { n: '1' } });
    assert.equal((await app.next()).message_id, 'resent');
    app.send({ to: phone.registration.registration_id, message_id: 'resent', message_type: 'ack' });
    await settle(200); // the app server's ACK stored
    // As a device whose ACK died with its node does on its next session.
    await phone.device.send({ to: server.senderId, message_id: 'resent', data: { n: '1' } });
    await app.quiet();
    phone.device.close();
  });

  test('device upstream: NACKed for a bad TTL, a missing message_id or a sender it is not registered with', async () => {
    const phone = await newDevice(server);
    await assert.rejects(phone.device.send({ to: server.senderId, message_id: 'bad-ttl', time_to_live: -5 }), (error: any) => error.code === 'INVALID_JSON' && /INVALID_TTL/.test(error.description));
    await assert.rejects(phone.device.send({ to: '999999', message_id: 'stranger' }), (error: any) => error.code === 'BAD_REGISTRATION');
    await app.quiet();
    phone.device.close();
  });

  test('draining: control message, CONNECTION_DRAINING NACKs, upstream still delivered; the SDK moves on and loses nothing', async () => {
    const phone = await newDevice(server);
    const sdk = new CcsAppServer({ host: '127.0.0.1', port: server.ports.ccs!, ca: server.ca, senderId: server.senderId, apiKey: server.apiKey, window: 3 });
    let drains = 0;
    sdk.on('draining', () => drains++);
    await sdk.connect();
    // The raw connection drains too: it gets the control message and NACKs afterwards.
    const response = await fetch(`${server.url}/ccs/admin/drain`, { method: 'POST', headers: { authorization: `Bearer ${(await import('node:fs')).readFileSync(`${server.dataDir}/admin.token`, 'utf8').trim()}` } });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { draining: 2 });
    assert.deepEqual(await app.next(), { message_type: 'control', control_type: 'CONNECTION_DRAINING' });
    app.send({ to: phone.registration.registration_id, message_id: 'while-draining' });
    assert.equal((await app.next()).error, 'CONNECTION_DRAINING');
    // Upstream still reaches the draining connection when it is the sender's only one with room… or the SDK's new one.
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => sdk.send({ to: phone.registration.registration_id, data: { i: String(i) } })));
    assert.equal(results.length, 8);
    assert.equal(drains, 1);
    const received = await phone.next(8);
    assert.deepEqual(received.map((m) => m.data!.i).sort(), ['0', '1', '2', '3', '4', '5', '6', '7']);
    sdk.close();
    phone.device.close();
    // The drained raw connection is closed by the server once idle.
    await settle(1300);
    assert.equal(app.client.isClosed, true);
    app = await rawApp(server);
  });

  test('the admin endpoint refuses a wrong token', async () => {
    const response = await fetch(`${server.url}/ccs/admin/drain`, { method: 'POST', headers: { authorization: 'Bearer nope' } });
    assert.equal(response.status, 403);
  });
});
