import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { hashToken } from '../../src/auth/secrets.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
before(async () => {
  server = await startTestServer();
  await server.context.accounts.createUser('dee@example.com', 'password1');
});
after(() => server.stop());

async function token(form: Record<string, string>, as: 'form' | 'query' = 'form') {
  const body = new URLSearchParams(form).toString();
  const response = as === 'form'
    ? await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body })
    : await fetch(`${server.url}/oauth2/token?${body}`, { method: 'POST' });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('password grant returns a bearer token pair; a wrong password is invalid_grant', async () => {
  const ok = await token({ grant_type: 'password', username: 'dee@example.com', password: 'password1' });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.token_type, 'Bearer');
  assert.equal(ok.body.expires_in, 3600);
  assert.match(String(ok.body.access_token), /^ocpa_/);
  const bad = await token({ grant_type: 'password', username: 'dee@example.com', password: 'nope' }, 'query');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error, 'invalid_grant');
});

test('authorization_code and refresh_token grants, with single-use codes', async () => {
  const robot = await server.context.accounts.createRobot();
  const code = await server.context.accounts.issueAuthCode(robot.id);
  const granted = await token({ grant_type: 'authorization_code', code, client_id: 'c', redirect_uri: 'oob' });
  assert.equal(granted.status, 200);
  const again = await token({ grant_type: 'authorization_code', code });
  assert.equal(again.body.error, 'invalid_grant');
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: String(granted.body.refresh_token) });
  assert.equal(refreshed.status, 200);
  assert.notEqual(refreshed.body.access_token, granted.body.access_token);
});

test('a refresh token replayed after its rotation is invalid_grant; past 10 s it revokes the rotated grant too', async () => {
  const granted = await token({ grant_type: 'password', username: 'dee@example.com', password: 'password1' });
  const used = String(granted.body.refresh_token);
  const rotated = await token({ grant_type: 'refresh_token', refresh_token: used });
  assert.equal(rotated.status, 200);
  const list = (accessToken: unknown) => fetch(`${server.url}/cloudprint/list`, { headers: { authorization: `Bearer ${String(accessToken)}` } });
  const soon = await token({ grant_type: 'refresh_token', refresh_token: used });
  assert.deepEqual([soon.status, soon.body.error], [400, 'invalid_grant']);
  assert.equal((await list(rotated.body.access_token)).status, 200, 'within the grace the rotated grant stands');
  // As if 11 s had passed since the token's use.
  await server.context.store.db.updateTable('tokens').set((eb) => ({ expires_at: eb('expires_at', '-', 11_000) })).where('token_hash', '=', hashToken(used)).execute();
  const replayed = await token({ grant_type: 'refresh_token', refresh_token: used });
  assert.equal(replayed.body.error, 'invalid_grant');
  assert.match(String(replayed.body.error_description), /already used/);
  assert.equal((await token({ grant_type: 'refresh_token', refresh_token: String(rotated.body.refresh_token) })).body.error, 'invalid_grant');
  assert.equal((await list(rotated.body.access_token)).status, 401, 'the rotated access token is revoked too');
});

test('unknown and missing grant types are refused with the RFC 6749 codes', async () => {
  assert.equal((await token({ grant_type: 'magic' })).body.error, 'unsupported_grant_type');
  assert.equal((await token({})).body.error, 'invalid_request');
});

test('a repeated or non-text username or password is invalid_request, not a server error', async () => {
  const repeated = await fetch(`${server.url}/oauth2/token?grant_type=password&username=dee@example.com&username=x@example.com&password=password1`, { method: 'POST' });
  assert.deepEqual([repeated.status, ((await repeated.json()) as { error: string }).error], [400, 'invalid_request']);
  const numeric = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'password', username: 'dee@example.com', password: 12345678 }) });
  assert.deepEqual([numeric.status, ((await numeric.json()) as { error: string }).error], [400, 'invalid_request']);
});

/** A password grant sent from `localAddress` (another loopback address: another source). */
function tokenFrom(localAddress: string, form: Record<string, string>): Promise<{ status: number; retryAfter: string | undefined; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: hostname, port, localAddress, method: 'POST', path: '/oauth2/token', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => {
        resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'], body: JSON.parse(text) as Record<string, unknown> });
      });
    });
    request.on('error', reject);
    request.end(new URLSearchParams(form).toString());
  });
}

test('wrong passwords slow down their own address only: the owner signs in from another at once', async () => {
  await server.context.accounts.createUser('locked@example.com', 'password1');
  const attempt = (password: string, from = '127.0.0.1') => tokenFrom(from, { grant_type: 'password', username: 'locked@example.com', password });
  for (let i = 0; i < 11; i++) await attempt(`guess ${i}`);
  const refused = await attempt('password1');
  assert.deepEqual([refused.status, refused.body.error], [429, 'temporarily_unavailable'], 'the guessing address waits');
  assert.ok(Number(refused.retryAfter) >= 1);
  const owner = await attempt('password1', '127.0.0.2');
  assert.equal(owner.status, 200, 'the account is not locked for everyone');
});
