// The device authorization grant (RFC 8628) as the reference connector's
// `init` sends it (legacy spelling, client id and secret in the form) and as
// RFC 8628 clients do, with every polling answer of §3.5, and the /device page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken } from '../../src/auth/secrets.ts';
import { normalizeUserCode } from '../../src/auth/device-codes.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { DevicePageVisitor } from '../helpers/device-page.ts';

const USER = { email: 'ida@example.com', password: 'password1' };
const LEGACY_GRANT = 'http://oauth.net/grant_type/device/1.0';
const STANDARD_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

let server: TestServer;
before(async () => {
  server = await startTestServer({ deviceCodeIntervalSeconds: 1 });
  await server.context.accounts.createUser(USER.email, USER.password);
});
after(() => server.stop());

interface DeviceCodeReply {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_url: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

async function post(path: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The connector's init: POST /o/oauth2/device/code with client_id and scope. */
async function deviceCode(path = '/o/oauth2/device/code', clientId = 'connector-client'): Promise<DeviceCodeReply> {
  const reply = await post(path, { client_id: clientId, scope: 'https://www.googleapis.com/auth/cloudprint' });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body as unknown as DeviceCodeReply;
}

/** The connector's poll (legacy: `code`, with client_secret) or an RFC 8628 client's (`device_code`). */
function poll(spelling: 'legacy' | 'standard', code: string, clientId = 'connector-client') {
  return spelling === 'legacy'
    ? post('/oauth2/token', { client_id: clientId, client_secret: 'connector-secret', code, grant_type: LEGACY_GRANT })
    : post('/oauth2/token', { grant_type: STANDARD_GRANT, device_code: code, client_id: clientId });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the device-code endpoint answers at both paths with every field, Google\'s verification_url too', async () => {
  for (const path of ['/oauth2/device/code', '/o/oauth2/device/code']) {
    const reply = await deviceCode(path);
    assert.match(reply.device_code, /^ocpd_[\w-]{43}$/);
    assert.match(reply.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(reply.verification_uri, `${server.url}/device`);
    assert.equal(reply.verification_url, reply.verification_uri);
    assert.equal(reply.verification_uri_complete, `${server.url}/device?user_code=${reply.user_code}`);
    assert.deepEqual([reply.expires_in, reply.interval], [600, 1]);
  }
  const missing = await post('/oauth2/device/code', { scope: 'x' });
  assert.deepEqual([missing.status, missing.body.error], [400, 'invalid_request']);
});

test('codes are stored only as hashes', async () => {
  const reply = await deviceCode();
  const rows = await server.context.store.db.selectFrom('device_codes').selectAll().execute();
  const text = JSON.stringify(rows);
  assert.ok(!text.includes(reply.device_code) && !text.includes(normalizeUserCode(reply.user_code)));
  assert.ok(rows.some((row) => row.device_code_hash === hashToken(reply.device_code)));
});

for (const spelling of ['legacy', 'standard'] as const) {
  test(`a ${spelling} device-flow login: pending until approved on the page, then a working token pair, once`, async () => {
    const started = await deviceCode();
    const pending = await poll(spelling, started.device_code);
    assert.deepEqual([pending.status, pending.body.error], [400, 'authorization_pending']);
    const person = new DevicePageVisitor(server.url);
    const page = await person.open(started.user_code);
    assert.match(page.html, new RegExp(`value="${started.user_code}"`), 'verification_uri_complete fills in the code');
    const approved = await person.submit({ user_code: started.user_code.toLowerCase().replace('-', ' '), email: USER.email, password: USER.password, action: 'approve', csrf: page.csrf });
    assert.equal(approved.status, 200, approved.html);
    await pause(1000);
    const granted = await poll(spelling, started.device_code);
    assert.equal(granted.status, 200, JSON.stringify(granted.body));
    assert.match(String(granted.body.refresh_token), /^ocpr_/);
    const search = await fetch(`${server.url}/cloudprint/search`, { headers: { authorization: `Bearer ${String(granted.body.access_token)}` } });
    assert.equal(search.status, 200);
    const again = await poll(spelling, started.device_code);
    assert.deepEqual([again.status, again.body.error], [400, 'invalid_grant'], 'a device code gives one grant');
  });
}

test('polling sooner than the interval is slow_down, and the interval grows by 5 s for later polls', async () => {
  const started = await deviceCode();
  assert.equal((await poll('standard', started.device_code)).body.error, 'authorization_pending');
  assert.equal((await poll('standard', started.device_code)).body.error, 'slow_down');
  await pause(1100);
  assert.equal((await poll('standard', started.device_code)).body.error, 'slow_down', 'the interval is now 6 s, not 1');
  await server.context.store.db.updateTable('device_codes').set((eb) => ({ polled_at: eb('polled_at', '-', 11_001) })).where('device_code_hash', '=', hashToken(started.device_code)).execute();
  assert.equal((await poll('legacy', started.device_code)).body.error, 'authorization_pending', '11 s later (5 + 6 s after the two slow_downs) it is pending again');
});

test('a denied code is access_denied; an expired one expired_token; another client\'s or an unknown one invalid_grant', async () => {
  const denied = await deviceCode();
  const person = new DevicePageVisitor(server.url);
  assert.equal((await person.submit({ user_code: denied.user_code, email: USER.email, password: USER.password, action: 'deny' })).status, 200);
  assert.deepEqual(Object.values(await poll('legacy', denied.device_code)), [400, { error: 'access_denied', error_description: 'the user denied the request' }]);

  const expired = await deviceCode();
  await server.context.store.db.updateTable('device_codes').set({ expires_at: Date.now() - 1 }).where('device_code_hash', '=', hashToken(expired.device_code)).execute();
  assert.equal((await poll('standard', expired.device_code)).body.error, 'expired_token');
  assert.equal((await person.submit({ user_code: expired.user_code, action: 'approve' })).status, 400, 'an expired code cannot be approved');

  const stolen = await deviceCode();
  assert.equal((await poll('standard', stolen.device_code, 'another-client')).body.error, 'invalid_grant');
  assert.equal((await poll('standard', 'ocpd_unknown')).body.error, 'invalid_grant');
  assert.equal((await post('/oauth2/token', { grant_type: STANDARD_GRANT })).body.error, 'invalid_request');
});

test('the page signs in once per browser, and refuses a post without its own form\'s token', async () => {
  const person = new DevicePageVisitor(server.url);
  const first = await deviceCode();
  const wrong = await person.submit({ user_code: first.user_code, email: USER.email, password: 'wrong password', action: 'approve' });
  assert.equal(wrong.status, 401);
  assert.equal((await person.submit({ user_code: first.user_code, email: USER.email, password: USER.password, action: 'approve' })).status, 200);
  const second = await deviceCode();
  const signedIn = await person.open();
  assert.match(signedIn.html, /Signed in as ida@example\.com/);
  assert.doesNotMatch(signedIn.html, /type="password"|<script/);
  // A cross-site post carries no form token of ours (and, SameSite=Strict, no cookies).
  const forged = await person.submit({ user_code: second.user_code, action: 'approve', csrf: 'forged' });
  assert.equal(forged.status, 403);
  person.forget('ocp_device_csrf');
  assert.equal((await person.submit({ user_code: second.user_code, action: 'approve', csrf: signedIn.csrf })).status, 403, 'a token without its cookie');
  await pause(1000);
  assert.equal((await poll('standard', second.device_code)).body.error, 'authorization_pending', 'nothing was approved');
  assert.equal((await person.submit({ user_code: second.user_code, action: 'approve' })).status, 200, 'signed in: no password needed');
  await pause(1000);
  assert.equal((await poll('standard', second.device_code)).status, 200);
});

test('wrong user codes are throttled per address and account: past the limit even the right one waits', async () => {
  const strict = await startTestServer({ deviceCodeIntervalSeconds: 1, userCodeFailuresPerMinute: 3 });
  try {
    await strict.context.accounts.createUser(USER.email, USER.password);
    const started = (await (await fetch(`${strict.url}/oauth2/device/code`, { method: 'POST', body: new URLSearchParams({ client_id: 'c' }) })).json()) as DeviceCodeReply;
    const person = new DevicePageVisitor(strict.url);
    for (let i = 0; i < 3; i++) assert.equal((await person.submit({ user_code: 'BBBB-BBBB', email: USER.email, password: USER.password, action: 'approve' })).status, 400);
    const blocked = await person.submit({ user_code: started.user_code, action: 'approve' });
    assert.equal(blocked.status, 429);
    assert.match(blocked.html, /Too many tries/);
    const polled = await fetch(`${strict.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: STANDARD_GRANT, device_code: started.device_code, client_id: 'c' }) });
    assert.equal(((await polled.json()) as { error: string }).error, 'authorization_pending');
  } finally {
    await strict.stop();
  }
});
