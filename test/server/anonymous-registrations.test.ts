// --anonymous-registrations-per-minute: registrations that create something
// nobody owns yet (a printer waiting to be claimed, a new CCS device account)
// are bounded per source address; registrations with credentials are not.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Senders } from '../../src/ccs/service/senders.ts';
import { createUser, registerPrinter } from '../helpers/cloud.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const LIMIT = 2;
let server: TestServer;
let senderId = '';

before(async () => {
  server = await startTestServer({ anonymousRegistrationsPerMinute: LIMIT });
  senderId = (await new Senders(server.context.store.db).create('limited app')).sender_id;
});
after(() => server.stop());

test('anonymous printer registrations beyond the limit get TOO_MANY_REGISTRATIONS (429); an owner still registers', async () => {
  for (let i = 0; i < LIMIT; i++) assert.equal((await registerPrinter(server, { name: `anon ${i}` })).body.success, true);
  const refused = await registerPrinter(server, { name: 'one too many' });
  assert.equal(refused.status, 429);
  assert.equal(refused.body.success, false);
  assert.equal(refused.body.errorCode, 24);
  assert.match(refused.body.message, /Too many anonymous registrations from 127\.0\.0\.1/);
  const owner = await createUser(server);
  const owned = await registerPrinter(server, { name: 'owned', token: owner.token });
  assert.equal(owned.body.success, true);
  assert.equal(owned.body.registration_token, undefined);
});

test('new CCS devices beyond the limit get TOO_MANY_REGISTRATIONS (429); a registered device still registers another app', async () => {
  const register = (body: Record<string, string>, token?: string) =>
    fetch(`${server.url}/ccs/register`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  const first = (await (await register({ sender: senderId, app: 'com.example.one' })).json()) as { password: string };
  assert.equal((await register({ sender: senderId, app: 'com.example.two' })).status, 200);
  const refused = await register({ sender: senderId, app: 'com.example.three' });
  assert.equal(refused.status, 429);
  assert.equal(((await refused.json()) as { error: string }).error, 'TOO_MANY_REGISTRATIONS');
  assert.equal((await register({ sender: senderId, app: 'com.example.four' }, first.password)).status, 200);
});
