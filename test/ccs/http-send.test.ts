// POST /gcm/send and /fcm/send (CCS §7), driven by the npm
// package node-gcm where a real client exists, by fetch for the edge cases.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CcsDevice } from '../../src/ccs/sdk/device.ts';
import { newDevice, settle, startCcsServer, type TestDevice } from './helpers.ts';

const gcm = createRequire(import.meta.url)('node-gcm') as {
  Sender: new (key: string, options: { uri: string }) => { send(message: unknown, recipient: unknown, options: { retries: number }, callback: (error: unknown, response: GcmResponse) => void): void };
  Message: new (options: Record<string, unknown>) => unknown;
};
type GcmResponse = { multicast_id: number; success: number; failure: number; canonical_ids: number; results: Array<{ message_id?: string; error?: string }> };

describe('HTTP send endpoint', () => {
  let server: Awaited<ReturnType<typeof startCcsServer>>;
  let alice: TestDevice;
  let bob: TestDevice;
  before(async () => {
    server = await startCcsServer();
    alice = await newDevice(server);
    bob = await newDevice(server);
  });
  after(async () => {
    alice.device.close();
    bob.device.close();
    await server.stop();
  });

  const post = (path: string, body: string, headers: Record<string, string>) => fetch(`${server.url}${path}`, { method: 'POST', body, headers });

  test('node-gcm sends to two devices through /gcm/send; both receive it', async () => {
    const sender = new gcm.Sender(server.apiKey, { uri: `${server.url}/gcm/send` });
    const message = new gcm.Message({ collapseKey: 'score', timeToLive: 600, data: { score: '4x8' } });
    const response = await new Promise<GcmResponse>((resolve, reject) =>
      sender.send(message, { registrationTokens: [alice.registration.registration_id, bob.registration.registration_id, 'not-a-token'] }, { retries: 0 }, (error, res) => (error ? reject(error) : resolve(res))),
    );
    assert.equal(response.success, 2);
    assert.equal(response.failure, 1);
    assert.equal(response.canonical_ids, 0);
    assert.ok(Number.isSafeInteger(response.multicast_id));
    assert.match(response.results[0]!.message_id!, /^0:\d+%[0-9a-f]+$/);
    assert.deepEqual(response.results[2], { error: 'InvalidRegistration' });
    const [toAlice] = await alice.next();
    const [toBob] = await bob.next();
    assert.deepEqual(toAlice!.data, { score: '4x8' });
    assert.equal(toAlice!.collapse_key, 'score');
    assert.equal(toBob!.from, server.senderId);
  });

  test('/fcm/send: a wrong key is 401, unparsable JSON 400 with the reason, a type error 400', async () => {
    const to = alice.registration.registration_id;
    let response = await post('/fcm/send', JSON.stringify({ to }), { 'content-type': 'application/json', authorization: 'key=wrong' });
    assert.equal(response.status, 401);
    const auth = { 'content-type': 'application/json', authorization: `key=${server.apiKey}` };
    response = await post('/fcm/send', '{"to": ', auth);
    assert.equal(response.status, 400);
    assert.match(await response.text(), /^JSON_PARSING_ERROR/);
    response = await post('/fcm/send', JSON.stringify({ to, time_to_live: 'abc' }), auth);
    assert.equal(response.status, 400);
    assert.equal(await response.text(), 'JSON_TYPE_ERROR : Field "time_to_live" must be a JSON java.lang.Number: abc\n');
    response = await post('/fcm/send', JSON.stringify({ registration_ids: Array.from({ length: 1001 }, (_, i) => `t${i}`) }), auth);
    assert.equal(response.status, 400);
    assert.match(await response.text(), /exceeds maximum allowed \(1000\)/);
  });

  test('per-recipient errors in the original vocabulary', async () => {
    const auth = { 'content-type': 'application/json', authorization: `key=${server.apiKey}` };
    const send = async (body: Record<string, unknown>) => (await (await post('/gcm/send', JSON.stringify(body), auth)).json()) as GcmResponse;
    const to = alice.registration.registration_id;
    assert.deepEqual((await send({ data: { a: '1' } })).results, [{ error: 'MissingRegistration' }]);
    assert.deepEqual((await send({ to, time_to_live: 2419201 })).results, [{ error: 'InvalidTtl' }]);
    assert.deepEqual((await send({ to, data: { from: 'x' } })).results, [{ error: 'InvalidDataKey' }]);
    assert.deepEqual((await send({ to, data: { big: 'x'.repeat(4097) } })).results, [{ error: 'MessageTooBig' }]);
    const unregistered = await newDevice(server, { connect: false });
    await CcsDevice.unregister(server.url, unregistered.registration.password!, { sender: server.senderId, app: 'com.example.app' });
    assert.deepEqual((await send({ to: unregistered.registration.registration_id })).results, [{ error: 'NotRegistered' }]);
  });

  test('the plain-text variant: form fields in, id= or Error= out', async () => {
    const form = (body: string) => post('/gcm/send', body, { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', authorization: `key=${server.apiKey}` });
    let response = await form(`registration_id=${bob.registration.registration_id}&collapse_key=score_update&time_to_live=108&delay_while_idle=1&data.score=4x8&data.time=15:16.2342`);
    assert.equal(response.status, 200);
    assert.match(await response.text(), /^id=0:\d+%[0-9a-f]+\n$/);
    const [message] = await bob.next();
    assert.deepEqual(message!.data, { score: '4x8', time: '15:16.2342' });
    assert.equal(message!.time_to_live, 108);
    response = await form('registration_id=nope&data.a=1');
    assert.equal(await response.text(), 'Error=InvalidRegistration\n');
    response = await form('data.a=1');
    assert.equal(await response.text(), 'Error=MissingRegistration\n');
    // No Content-Type at all means plain text (§7).
    response = await fetch(`${server.url}/gcm/send`, { method: 'POST', body: new Blob([`registration_id=${bob.registration.registration_id}&time_to_live=abc`]), headers: { authorization: `key=${server.apiKey}` } });
    assert.equal(await response.text(), 'Error=InvalidTtl\n');
    await settle(100);
    assert.equal(bob.received.length, 2);
  });
});
