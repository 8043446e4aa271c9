// `ocp advertise PRINTER [--off]`: the owner's per-printer choice to have
// `ocp server --ipp-advertise` announce it (the printer tag ipp-advertise).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim } from '../helpers/cloud.ts';

const OCP = new URL('../../bin/ocp', import.meta.url).pathname;
const run = promisify(execFile);
const env = { ...process.env, OCP_CREDENTIALS: join(tempDir(), 'credentials.json'), OCP_CLOUD: '', OCP_TOKEN: '' };
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

test('ocp advertise tags the printer ipp-advertise, --off removes the tag; another user cannot', async () => {
  const owner = await createUser(server);
  const printer = await registerAndClaim(server, owner);
  const tags = async () => (await cloudApi(server, 'printer', { printerid: printer.printerId }, { token: owner.token })).body.printers[0].tags as string[];
  const login = run(OCP, ['login', owner.email, '--cloud', server.url, '--password-stdin'], { env });
  login.child.stdin!.end(`${owner.password}\n`);
  await login;
  assert.match((await run(OCP, ['advertise', printer.printerId], { env })).stdout, /is announced/);
  assert.ok((await tags()).includes('ipp-advertise'));
  assert.match((await run(OCP, ['advertise', printer.printerId, '--off'], { env })).stdout, /no longer announced/);
  assert.ok(!(await tags()).includes('ipp-advertise'));

  const stranger = await createUser(server);
  const strangerEnv = { ...env, OCP_CREDENTIALS: join(tempDir(), 'credentials.json') };
  const strangerLogin = run(OCP, ['login', stranger.email, '--cloud', server.url, '--password-stdin'], { env: strangerEnv });
  strangerLogin.child.stdin!.end(`${stranger.password}\n`);
  await strangerLogin;
  await assert.rejects(run(OCP, ['advertise', printer.printerId], { env: strangerEnv }), /printer|404|not found/i);
  assert.ok(!(await tags()).includes('ipp-advertise'));
});
