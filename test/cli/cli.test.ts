import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/server.ts';

const run = promisify(execFile);
const OCP = new URL('../../bin/ocp', import.meta.url).pathname;
const dataDir = tempDir();
after(() => rmSync(dataDir, { recursive: true, force: true }));

function ocp(args: string[], stdin?: string): Promise<{ stdout: string; stderr: string }> {
  const child = run(OCP, [...args, '--data', dataDir], { env: { ...process.env, OCP_LOG_LEVEL: 'silent' } });
  if (stdin !== undefined) {
    child.child.stdin?.end(stdin);
  }
  return child;
}

test('user add reads the password from stdin; user list and token create work on the same data dir', async () => {
  await ocp(['user', 'add', 'eve@example.com', '--password-stdin', '--init'], 'long enough password\n');
  const listed = JSON.parse((await ocp(['user', 'list', '--json'])).stdout) as Array<{ email: string }>;
  assert.deepEqual(listed.map((u) => u.email), ['eve@example.com']);
  const token = (await ocp(['token', 'create', 'eve@example.com'])).stdout.trim();
  assert.match(token, /^ocpk_[\w-]{43}$/);
  await assert.rejects(ocp(['token', 'create', 'nobody@example.com']), /no user nobody@example.com/);
});

test('`ocp server` writes the ports it got and serves OAuth2 with the CLI-made account', async () => {
  const child = spawn(OCP, ['server', '--data', dataDir, '--http-port', '0', '--xmpp-port', '0', '--xmpps-port', '0', '--ccs-port', '0'], {
    env: { ...process.env, OCP_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const deadline = Date.now() + 20_000;
    while (!log.includes('ocp server started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(join(dataDir, 'ports.json')), 'ports.json written');
    const ports = JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as { http: number };
    assert.ok(ports.http > 0);
    const response = await fetch(`http://127.0.0.1:${ports.http}/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'password', username: 'eve@example.com', password: 'long enough password' }),
    });
    assert.equal(response.status, 200);
    assert.ok(!log.includes('long enough password'), 'no password in the logs');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
});

test('a bad option stops the server with a message naming it and exit code 2', async () => {
  await assert.rejects(run(OCP, ['server', '--data', dataDir, '--http-port', 'eighty']), (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 2);
    assert.match(error.stderr, /http-port/);
    return true;
  });
});
