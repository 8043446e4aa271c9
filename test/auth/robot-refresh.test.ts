// Robot refresh tokens do not rotate (docs/api.md § Refresh tokens): the
// reference connector stores the refresh token of its robot once, at `init`,
// and presents it at every start, for years. Played here as the connector
// sends it (golang.org/x/oauth2: client credentials in a Basic header, the
// rest form-encoded), against `ocp server` processes restarted in between.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tempDir } from '../helpers/server.ts';
import { runOcp, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';

const dataDir = tempDir();
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const CLIENT = { id: 'connector-client.apps.example', secret: 'connector-secret' };
const basic = 'Basic ' + Buffer.from(`${encodeURIComponent(CLIENT.id)}:${encodeURIComponent(CLIENT.secret)}`).toString('base64');

async function tokenRequest(url: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('a robot refresh token used 100 times across two server restarts keeps working and is never replaced', async () => {
  await runOcp(['user', 'add', 'owner@example.com', '--password-stdin', '--init', '--data', dataDir], 'owner password\n');
  server = await startServerProcess(dataDir);
  const user = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: 'owner@example.com', password: 'owner password' }) });
  const userToken = String(((await user.json()) as { access_token: string }).access_token);
  // B1 step 2: createrobot, as the connector's init sends it.
  const robot = (await (await fetch(`${server.url}/cloudprint/createrobot?oauth_client_id=${encodeURIComponent(CLIENT.id)}`, { headers: { authorization: `Bearer ${userToken}` } })).json()) as { authorization_code: string };
  const exchanged = await tokenRequest(server.url, { grant_type: 'authorization_code', code: robot.authorization_code, redirect_uri: 'oob' });
  assert.equal(exchanged.status, 200);
  const refreshToken = String(exchanged.body.refresh_token);

  let uses = 0;
  for (const [phase, count] of [[0, 34], [1, 33], [2, 33]] as const) {
    if (phase > 0) {
      await server.stop();
      server = await startServerProcess(dataDir);
    }
    let accessToken = '';
    for (let i = 0; i < count; i++, uses++) {
      const refreshed = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: refreshToken });
      assert.equal(refreshed.status, 200, `use ${uses + 1}: ${JSON.stringify(refreshed.body)}`);
      assert.equal('refresh_token' in refreshed.body, false, 'a robot refresh response carries no refresh_token');
      assert.equal(refreshed.body.token_type, 'Bearer');
      accessToken = String(refreshed.body.access_token);
    }
    const list: Response = await fetch(`${server.url}/cloudprint/list?proxy=connector`, { headers: { authorization: `Bearer ${accessToken}` } });
    assert.equal(list.status, 200, `after restart ${phase} the robot's new access token works`);
  }
  assert.equal(uses, 100);
});
