// `ocp login --device` end to end with the real binary: it prints where to
// go and the code, polls, and saves the login once a person approves the code
// on the server's /device page (played here over HTTP), or fails when denied.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { OCP } from '../helpers/server-process.ts';
import { DevicePageVisitor } from '../helpers/device-page.ts';
import { waitFor } from '../helpers/wait.ts';

const USER = { email: 'lee@example.com', password: 'password1' };
const home = tempDir();
const credentials = join(home, 'credentials.json');
const env = { ...process.env, OCP_CREDENTIALS: credentials, OCP_CLOUD: '', OCP_TOKEN: '' };
let server: TestServer;

before(async () => {
  server = await startTestServer({ deviceCodeIntervalSeconds: 1 });
  await server.context.accounts.createUser(USER.email, USER.password);
});
after(async () => {
  await server.stop();
  rmSync(home, { recursive: true, force: true });
});

/** Starts `ocp ARGS`; resolves once it printed a user code, with the code, the URL and its exit. */
async function startLogin(args: string[]) {
  const child = spawn(OCP, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const [, url, code] = await waitFor('the printed code', () => /open (\S+) on any device and enter the code ([A-Z]{4}-[A-Z]{4})/.exec(stdout) ?? undefined, 30_000);
    return { url: url!, code: code!, exit, output: () => ({ stdout, stderr }) };
  } catch (error) {
    child.kill('SIGTERM');
    await exit;
    throw new Error(`${(error as Error).message}; stdout: ${stdout}; stderr: ${stderr}`);
  }
}

test('`ocp login --device` prints the URL and code, polls, and saves the login the user approves', async () => {
  const login = await startLogin(['login', USER.email, '--device', '--cloud', server.url]);
  assert.equal(login.url, `${server.url}/device`);
  const person = new DevicePageVisitor(server.url);
  const approved = await person.submit({ user_code: login.code, email: USER.email, password: USER.password, action: 'approve' });
  assert.equal(approved.status, 200);
  assert.equal(await login.exit, 0, JSON.stringify(login.output()));
  assert.match(login.output().stdout, /signed in as lee@example\.com/);
  assert.equal(statSync(credentials).mode & 0o777, 0o600);
  const saved = JSON.parse(readFileSync(credentials, 'utf8')) as { cloud: string; email: string; refreshToken: string };
  assert.deepEqual([saved.cloud, saved.email], [server.url, USER.email]);
  assert.match(saved.refreshToken, /^ocpr_/);
  // The saved login works for the other commands.
  const printers = await new Promise<string>((resolve, reject) => {
    const child = spawn(OCP, ['printers'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`ocp printers exited ${code}`))));
  });
  assert.match(printers, /^ID\s+NAME/);
});

test('`ocp login --device` fails with a message when the user denies the code', async () => {
  const before = readFileSync(credentials, 'utf8');
  const login = await startLogin(['login', '--device', '--cloud', server.url]);
  const person = new DevicePageVisitor(server.url);
  assert.equal((await person.submit({ user_code: login.code, email: USER.email, password: USER.password, action: 'deny' })).status, 200);
  assert.notEqual(await login.exit, 0);
  assert.match(login.output().stderr, /denied/);
  assert.equal(readFileSync(credentials, 'utf8'), before, 'the saved login is left as it was');
});
