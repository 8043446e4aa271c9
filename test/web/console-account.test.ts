// The console's Account routes over plain HTTP: a person's API tokens
// (their own only, the secret shown once, revocation that ends what the
// token opened) and device-code approval (RFC 8628), each behind the
// console's CSRF rule and a console sign-in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, oauthToken, type TestUser } from '../helpers/cloud.ts';
import { RawClient, loginRaw } from '../xmpp/raw-client.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

let server: TestServer;
let owner: TestUser;
let stranger: TestUser;
before(async () => {
  server = await startTestServer({ consoleApiTokensPerAccount: 5 });
  owner = await createUser(server);
  stranger = await createUser(server);
});
after(() => server.stop());

const CONSOLE = { 'x-ocp-console': '1', 'content-type': 'application/json' };

/** A console sign-in's access token. */
async function consoleToken(user: TestUser): Promise<string> {
  const response = await fetch(`${server.url}/console/session`, { method: 'POST', headers: CONSOLE, body: JSON.stringify({ email: user.email, password: user.password }) });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

async function call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = CONSOLE): Promise<{ status: number; body: Record<string, any> }> {
  const { 'content-type': contentType, ...rest } = headers;
  const typed = body === undefined || contentType === undefined ? rest : { ...rest, 'content-type': contentType };
  const response = await fetch(`${server.url}${path}`, { method, headers: { ...typed, authorization: `Bearer ${token}` }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

test('a token is created with its name, its secret is answered once, and it works as an API token', async () => {
  const token = await consoleToken(owner);
  const created = await call('POST', '/console/tokens', token, { name: 'backup script' });
  assert.equal(created.status, 201);
  assert.equal(created.body.name, 'backup script');
  assert.match(created.body.token, /^\S{20,}$/);
  const listed = await call('GET', '/console/tokens', token);
  assert.equal(listed.status, 200);
  const entry = listed.body.tokens.find((t: Record<string, unknown>) => t.id === created.body.id);
  assert.deepEqual(Object.keys(entry).sort(), ['createdAt', 'id', 'name']);
  assert.equal(entry.name, 'backup script');
  assert.equal(entry.createdAt, created.body.createdAt, 'the list and the creation answer agree');
  assert.doesNotMatch(JSON.stringify(listed.body), new RegExp(created.body.token), 'the list never holds a secret');
  const search = await cloudApi(server, 'search', {}, { token: created.body.token });
  assert.equal(search.body.success, true, 'the secret is an API token of its owner');
});

test('a token needs a name of at most 100 characters', async () => {
  const token = await consoleToken(owner);
  assert.equal((await call('POST', '/console/tokens', token, {})).status, 400);
  assert.equal((await call('POST', '/console/tokens', token, { name: '   ' })).status, 400);
  assert.equal((await call('POST', '/console/tokens', token, { name: 'x'.repeat(101) })).status, 400);
  assert.equal((await call('POST', '/console/tokens', token, { name: 'x'.repeat(100) })).status, 201);
});

test('a person holds at most --console-api-tokens-per-account tokens; revoking one makes room', async () => {
  const holder = await createUser(server);
  const token = await consoleToken(holder);
  const made = [];
  for (let i = 0; i < 5; i++) made.push(await call('POST', '/console/tokens', token, { name: `t${i}` }));
  assert.deepEqual(made.map((m) => m.status), [201, 201, 201, 201, 201]);
  const sixth = await call('POST', '/console/tokens', token, { name: 't5' });
  assert.equal(sixth.status, 409);
  assert.match(sixth.body.message, /revoke one first/);
  assert.equal((await call('DELETE', `/console/tokens/${made[0]!.body.id}`, token)).status, 200);
  assert.equal((await call('POST', '/console/tokens', token, { name: 't5' })).status, 201);
});

test('each person sees and revokes only their own tokens', async () => {
  const mine = await consoleToken(owner);
  const theirs = await consoleToken(stranger);
  const created = await call('POST', '/console/tokens', mine, { name: 'only mine' });
  const strangerList = await call('GET', '/console/tokens', theirs);
  assert.equal(strangerList.body.tokens.some((t: Record<string, unknown>) => t.id === created.body.id), false);
  const stolen = await call('DELETE', `/console/tokens/${created.body.id}`, theirs);
  assert.equal(stolen.status, 404);
  assert.equal((await cloudApi(server, 'search', {}, { token: created.body.token })).body.success, true, 'still valid');
});

test('revoking a token makes it fail and ends the XMPP session opened with it', async () => {
  const token = await consoleToken(owner);
  const created = await call('POST', '/console/tokens', token, { name: 'push' });
  const client = await RawClient.tls(server);
  await loginRaw(client, owner.id, created.body.token, 'script');
  const revoked = await call('DELETE', `/console/tokens/${created.body.id}`, token);
  assert.equal(revoked.status, 200);
  await client.expect(/<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
  await client.closed;
  assert.equal((await cloudApi(server, 'search', {}, { token: created.body.token })).status, 401);
  assert.equal((await call('GET', '/console/tokens', token)).body.tokens.some((t: Record<string, unknown>) => t.id === created.body.id), false);
  assert.equal((await call('DELETE', `/console/tokens/${created.body.id}`, token)).status, 404, 'revoked once');
  for (const id of ['%00', 'x'.repeat(64), created.body.id.toUpperCase()]) assert.equal((await call('DELETE', `/console/tokens/${id}`, token)).status, 404, id);
});

test('the routes want the console header, a same-host Origin and a console sign-in, not an API token', async () => {
  const token = await consoleToken(owner);
  for (const [method, path] of [['GET', '/console/tokens'], ['POST', '/console/tokens'], ['DELETE', '/console/tokens/x'], ['POST', '/console/device']] as const) {
    const body = method === 'GET' ? undefined : {};
    assert.equal((await call(method, path, token, body, { 'content-type': 'application/json' })).status, 403, `${method} ${path} without the header`);
    assert.equal((await call(method, path, token, body, { ...CONSOLE, origin: 'https://evil.example' })).status, 403, `${method} ${path} from another site`);
    assert.equal((await call(method, path, 'nonsense', body)).status, 401, `${method} ${path} without a valid token`);
  }
  const apiToken = await server.context.accounts.issueApiToken(owner.id);
  assert.equal((await call('POST', '/console/tokens', apiToken, { name: 'minted' })).status, 401, 'an API token cannot mint another');
  assert.equal((await call('GET', '/console/tokens', apiToken)).status, 401);
});

async function startDeviceFlow(): Promise<{ device_code: string; user_code: string }> {
  const response = await fetch(`${server.url}/oauth2/device/code`, { method: 'POST', body: new URLSearchParams({ client_id: 'console-test' }) });
  assert.equal(response.status, 200);
  return (await response.json()) as { device_code: string; user_code: string };
}

test('a device code approved in the console gives the device a grant of that person; a denied one is refused', async () => {
  const token = await consoleToken(owner);
  const approved = await startDeviceFlow();
  const answer = await call('POST', '/console/device', token, { user_code: approved.user_code.toLowerCase(), action: 'approve' });
  assert.equal(answer.status, 200);
  assert.equal(answer.body.approved, true);
  const grant = await oauthToken(server, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: approved.device_code, client_id: 'console-test' });
  assert.equal(grant.status, 200);
  assert.equal((await server.context.accounts.authenticate(grant.body.access_token))?.id, owner.id);
  assert.equal((await call('POST', '/console/device', token, { user_code: approved.user_code, action: 'approve' })).status, 400, 'a code is used once');

  const denied = await startDeviceFlow();
  assert.equal((await call('POST', '/console/device', token, { user_code: denied.user_code, action: 'deny' })).body.approved, false);
  const refused = await oauthToken(server, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: denied.device_code, client_id: 'console-test' });
  assert.equal(refused.body.error, 'access_denied');
});

test('device approval refuses an unknown code, a missing action, and too many wrong codes', async () => {
  const token = await consoleToken(stranger);
  assert.equal((await call('POST', '/console/device', token, { user_code: 'BCDF-GHJK' })).status, 400);
  const unknown = await call('POST', '/console/device', token, { user_code: 'BCDF-GHJK', action: 'approve' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body.message, /unknown, expired or already used/);
  let status = 400;
  for (let i = 0; i < 30 && status === 400; i++) status = (await call('POST', '/console/device', token, { user_code: 'BCDF-GHJK', action: 'approve' })).status;
  assert.equal(status, 429, 'wrong codes are limited, as on /device');
});

test('on PostgreSQL: tokens are named, listed and revoked, and a NUL in an id is a 404, not a 500', async () => {
  const database = await createTestDatabase();
  const pgServer = await startTestServer({ database: database.url });
  try {
    const user = await createUser(pgServer);
    const signIn = await fetch(`${pgServer.url}/console/session`, { method: 'POST', headers: CONSOLE, body: JSON.stringify({ email: user.email, password: user.password }) });
    const token = ((await signIn.json()) as { access_token: string }).access_token;
    const headers = { 'x-ocp-console': '1', authorization: `Bearer ${token}` };
    const created = (await (await fetch(`${pgServer.url}/console/tokens`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'pg' }) })).json()) as Record<string, string>;
    const listed = (await (await fetch(`${pgServer.url}/console/tokens`, { headers })).json()) as { tokens: Array<Record<string, unknown>> };
    assert.deepEqual(listed.tokens.map((t) => t.name), ['pg']);
    assert.equal((await fetch(`${pgServer.url}/console/tokens/%00`, { method: 'DELETE', headers })).status, 404);
    assert.equal((await fetch(`${pgServer.url}/console/tokens/${created.id}`, { method: 'DELETE', headers })).status, 200);
  } finally {
    await pgServer.stop();
    await database.drop();
  }
});

test('on PostgreSQL: tokens created at the same moment stop at --console-api-tokens-per-account, exactly', async () => {
  const database = await createTestDatabase();
  const pgServer = await startTestServer({ database: database.url, consoleApiTokensPerAccount: 5 });
  try {
    const user = await createUser(pgServer);
    const signIn = await fetch(`${pgServer.url}/console/session`, { method: 'POST', headers: CONSOLE, body: JSON.stringify({ email: user.email, password: user.password }) });
    const token = ((await signIn.json()) as { access_token: string }).access_token;
    const headers = { 'x-ocp-console': '1', authorization: `Bearer ${token}` };
    const create = (name: string) => fetch(`${pgServer.url}/console/tokens`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    const made = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const response = await create(`at once ${i}`);
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    }));
    assert.equal(made.filter((m) => m.status === 201).length, 5);
    assert.ok(made.every((m) => m.status === 201 || (m.status === 409 && m.body.error === 'too_many_tokens')));
    const listed = (await (await fetch(`${pgServer.url}/console/tokens`, { headers })).json()) as { tokens: unknown[] };
    assert.equal(listed.tokens.length, 5);
  } finally {
    await pgServer.stop();
    await database.drop();
  }
});
