// Our own printer and connector keep their refresh token when a refresh
// reply brings none (a robot's, docs/api.md § Refresh tokens), and keep
// saving the new one when it does (a person's).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { AccessTokenSource, CloudPrintApi } from '../../src/client/cloudprint-api.ts';
import { createIdentity } from '../../src/connector/connector.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createUser, type TestUser } from '../helpers/cloud.ts';

let server: TestServer;
let user: TestUser;
before(async () => {
  server = await startTestServer();
  user = await createUser(server);
});
after(() => server.stop());

test('a connector identity refreshes again and again with the refresh token it got at set-up', async () => {
  const userApi = new CloudPrintApi({ cloudUrl: server.url, accessToken: async () => user.token });
  const identity = await createIdentity(userApi, server.url);
  const rotations: string[] = [];
  let api: CloudPrintApi;
  const tokens = new AccessTokenSource(() => api, identity.refreshToken, (rotated) => rotations.push(rotated));
  api = new CloudPrintApi({ cloudUrl: server.url, clientId: 'ocp-connector', accessToken: () => tokens.get() });
  const seen = new Set<string>();
  for (let i = 0; i < 3; i++) {
    tokens.invalidate();
    seen.add(await tokens.get());
    assert.equal((await api.call('list', { proxy: identity.proxy })).success, true);
  }
  assert.equal(seen.size, 3, 'each refresh brought a new access token');
  assert.deepEqual(rotations, [], 'nothing to save: the refresh token stays');
  // A connector restarted from its saved identity still signs in.
  const restarted = await new CloudPrintApi({ cloudUrl: server.url, clientId: 'ocp-connector' }).refresh(identity.refreshToken);
  assert.ok(restarted.access_token);
});

test('a person\'s refresh token rotates and the source hands the new one on to be saved', async () => {
  const grant = await new CloudPrintApi({ cloudUrl: server.url, clientId: 'ocp-cli' }).password(user.email, user.password);
  const rotations: string[] = [];
  let api: CloudPrintApi;
  const tokens = new AccessTokenSource(() => api, grant.refresh_token!, (rotated) => rotations.push(rotated));
  api = new CloudPrintApi({ cloudUrl: server.url, clientId: 'ocp-cli', accessToken: () => tokens.get() });
  await tokens.get();
  tokens.invalidate();
  await tokens.get();
  assert.equal(rotations.length, 2);
  assert.notEqual(rotations[0], grant.refresh_token);
});
