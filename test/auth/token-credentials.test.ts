// Client credentials wherever the original clients put them (RFC 6749
// §2.3.1): golang.org/x/oauth2 in an HTTP Basic header (id and secret each
// form-urlencoded), the connector's device flow in the form body, older
// firmware in the query string; each for every grant type. The id is read
// when the token row records it, and when a token bound to one client is
// refused to another.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hashToken } from '../../src/auth/secrets.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

const USER = { email: 'kim@example.com', password: 'password1' };
/** With a space and a colon, which Basic needs form-urlencoded. */
const CLIENT = { id: 'print client:7', secret: 's3cret/+=' };
const formEncoded = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);

let server: TestServer;
let userId: string;
before(async () => {
  server = await startTestServer();
  userId = (await server.context.accounts.createUser(USER.email, USER.password)).id;
});
after(() => server.stop());

type Placement = 'basic' | 'form' | 'query';
type GrantType = 'password' | 'refresh_token' | 'authorization_code' | 'device_code';

/** The grant's own parameters, for a client `clientId`. */
async function grantParams(grantType: GrantType, clientId: string): Promise<Record<string, string>> {
  const accounts = server.context.accounts;
  switch (grantType) {
    case 'password':
      return { grant_type: 'password', username: USER.email, password: USER.password };
    case 'refresh_token':
      return { grant_type: 'refresh_token', refresh_token: (await accounts.issueGrant(userId, clientId)).refresh_token };
    case 'authorization_code':
      return { grant_type: 'authorization_code', code: await accounts.issueAuthCode((await accounts.createRobot()).id, clientId), redirect_uri: 'oob' };
    case 'device_code': {
      const started = (await (await fetch(`${server.url}/oauth2/device/code`, { method: 'POST', body: new URLSearchParams({ client_id: clientId }) })).json()) as { device_code: string };
      // Approved as on the /device page (test/auth/device-flow.test.ts plays the page).
      await server.context.store.db.updateTable('device_codes').set({ status: 'approved', account_id: userId }).where('device_code_hash', '=', hashToken(started.device_code)).execute();
      return { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: started.device_code };
    }
  }
}

async function tokenRequest(placement: Placement, params: Record<string, string>, client = CLIENT) {
  const credentials = { client_id: client.id, client_secret: client.secret };
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  let body = new URLSearchParams(params);
  let query = '';
  if (placement === 'basic') headers.authorization = 'Basic ' + Buffer.from(`${formEncoded(client.id)}:${formEncoded(client.secret)}`).toString('base64');
  if (placement === 'form') body = new URLSearchParams({ ...params, ...credentials });
  if (placement === 'query') query = '?' + new URLSearchParams(credentials).toString();
  const response = await fetch(`${server.url}/oauth2/token${query}`, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

for (const placement of ['basic', 'form', 'query'] as const) {
  for (const grantType of ['password', 'refresh_token', 'authorization_code', 'device_code'] as const) {
    test(`client credentials in the ${placement}: the ${grantType} grant works and is bound to the client`, async () => {
      const granted = await tokenRequest(placement, await grantParams(grantType, CLIENT.id));
      assert.equal(granted.status, 200, JSON.stringify(granted.body));
      const row = await server.context.store.db.selectFrom('tokens').select('client_id').where('token_hash', '=', hashToken(String(granted.body.access_token))).executeTakeFirstOrThrow();
      assert.equal(row.client_id, CLIENT.id);
      if (grantType === 'password') return;
      const stolen = await tokenRequest(placement, await grantParams(grantType, CLIENT.id), { id: 'another client', secret: 'x' });
      assert.deepEqual([stolen.status, stolen.body.error], [400, 'invalid_grant'], `a ${grantType} bound to one client is refused to another`);
    });
  }
}

test('two different client ids in one request are invalid_request; a malformed Basic header too', async () => {
  const params = await grantParams('password', CLIENT.id);
  const twoIds = await fetch(`${server.url}/oauth2/token?client_id=a`, { method: 'POST', body: new URLSearchParams({ ...params, client_id: 'b' }) });
  assert.deepEqual([twoIds.status, ((await twoIds.json()) as { error: string }).error], [400, 'invalid_request']);
  const noColon = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }, body: new URLSearchParams(params) });
  assert.deepEqual([noColon.status, ((await noColon.json()) as { error: string }).error], [400, 'invalid_request']);
  const badEscape = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from('%zz:x').toString('base64')}` }, body: new URLSearchParams(params) });
  assert.deepEqual([badEscape.status, ((await badEscape.json()) as { error: string }).error], [400, 'invalid_request']);
});

test('the token endpoint also answers at Google\'s old path /o/oauth2/token', async () => {
  const response = await fetch(`${server.url}/o/oauth2/token`, { method: 'POST', body: new URLSearchParams(await grantParams('password', CLIENT.id)) });
  assert.equal(response.status, 200);
});
