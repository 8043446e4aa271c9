// The Privet errors that come from the cloud side, against a real
// `ocp server`: server_error (complete before the user claimed the printer,
// with server_api), device_busy while another register call is in progress,
// access_denied (the server refuses a proximity token), and a token refresh
// the server refuses (credentials wiped: out-of-the-box again, Privet §6.1).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, type TestUser } from '../helpers/cloud.ts';
import { cloudArgs, startPrinter, waitFor, type TestPrinter } from './helpers.ts';

/** libfaketime (Debian `faketime`), preloaded into the printer process itself. */
const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

let server: TestServer;
let printer: TestPrinter;
let owner: TestUser;

before(async () => {
  server = await startTestServer();
  owner = await createUser(server);
  printer = await startPrinter({
    cloud: server.url,
    args: ['--no-mdns', '--auto-confirm', '--claim-wait', '2', ...cloudArgs(server)],
  });
});
after(async () => {
  await printer?.stop();
  printer?.cleanup();
  await server?.stop();
});

const register = (action: string, user = owner.email) => printer.call(`/privet/register?action=${action}&user=${encodeURIComponent(user)}`, { method: 'POST' });

async function claimToken(): Promise<Record<string, unknown>> {
  await register('start');
  return waitFor('claim token', async () => {
    const reply = await register('getClaimToken');
    return reply.json.error === 'pending_user_action' ? undefined : reply.json;
  });
}

test('§4.3 complete before the claim: server_error naming /getauthcode; meanwhile other calls are device_busy', async () => {
  const claim = await claimToken();
  assert.ok(claim.token, JSON.stringify(claim));
  const completing = register('complete');
  await new Promise((r) => setTimeout(r, 300));
  const busy = await register('start', 'someone@example.com');
  assert.equal(busy.json.error, 'device_busy');
  assert.equal(busy.json.timeout, 30);
  const failed = (await completing).json;
  assert.equal(failed.error, 'server_error');
  assert.equal(failed.server_api, '/getauthcode');
  assert.equal((await printer.info()).id, '');
});

test('§4.4 accesstoken: the server refusing the user is access_denied; a refused refresh token resets the printer', async () => {
  const claim = await claimToken();
  assert.equal((await cloudApi(server, 'confirm', { token: String(claim.token) }, { token: owner.token })).body.success, true);
  const deviceId = String((await register('complete')).json.device_id);
  await waitFor('registered', async () => (await printer.info()).id === deviceId);
  const denied = (await printer.call('/privet/accesstoken?user=nobody@example.com')).json;
  assert.equal(denied.error, 'access_denied');
  assert.equal(denied.server_api, '/proximitytoken');
  assert.ok(Number(denied.server_http_code) >= 400);

  // Revoke the robot's credentials server-side; the next settings check sees invalid_grant.
  const printerRow = await server.context.store.db.selectFrom('printers').select('robot_id').where('id', '=', deviceId).executeTakeFirstOrThrow();
  await server.context.store.db.deleteFrom('tokens').where('account_id', '=', printerRow.robot_id!).execute();
  await printer.stop('SIGKILL');
  printer = await startPrinter({ dataDir: printer.dataDir, cloud: server.url, args: ['--no-mdns', ...cloudArgs(server)] });
  const reset = await waitFor('out of the box', async () => {
    const info = await printer.info();
    return info.id === '' ? info : undefined;
  });
  assert.deepEqual(reset.api, ['/privet/register']);
});

test('§4.3.3 device_config_error when the printer\'s clock is far from the server\'s', { skip: !existsSync(FAKETIME_LIB) && 'needs faketime' }, async () => {
  const skewed = await startPrinter({ cloud: server.url, env: { LD_PRELOAD: FAKETIME_LIB, FAKETIME: '-2d' }, args: ['--no-mdns', '--auto-confirm', ...cloudArgs(server)] });
  try {
    const reg = (action: string) => skewed.call(`/privet/register?action=${action}&user=${encodeURIComponent(owner.email)}`, { method: 'POST' });
    await reg('start');
    const reply = await waitFor('registration answer', async () => {
      const r = await reg('getClaimToken');
      return r.json.error === 'pending_user_action' ? undefined : r.json;
    });
    assert.equal(reply.error, 'device_config_error');
    assert.match(String(reply.description), /clock/);
  } finally {
    await skewed.stop();
    skewed.cleanup();
  }
});
