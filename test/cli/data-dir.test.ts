// The data directory rules, driven through the real binary: one server per
// directory (a stale lock from kill -9 does not block), and admin commands
// that find the server's database or refuse to make a new one.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

const run = promisify(execFile);
const OCP = new URL('../../bin/ocp', import.meta.url).pathname;
const dirs: string[] = [];
const children = new Set<ChildProcess>();
after(async () => {
  for (const child of children) {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newDir(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}

const SERVER_FLAGS = ['--http-port', '0', '--xmpp-port', '-1', '--xmpps-port', '-1', '--ccs-port', '-1', '--log-level', 'warn'];

/** Starts `ocp server` on `dataDir` and waits for the ports.json it writes. */
async function startServer(dataDir: string): Promise<ChildProcess> {
  const portsFile = join(dataDir, 'ports.json');
  rmSync(portsFile, { force: true });
  const child = spawn(OCP, ['server', '--data', dataDir, ...SERVER_FLAGS], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await waitFor('ports.json', () => existsSync(portsFile), 30_000);
  return child;
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

type Failure = { code: number; stderr: string };

test('a second server on a data directory refuses without touching ports.json; a lock left by kill -9 does not block', async () => {
  const dataDir = newDir();
  const first = await startServer(dataDir);
  const portsFile = join(dataDir, 'ports.json');
  const ports = readFileSync(portsFile, 'utf8');
  const modified = statSync(portsFile).mtimeMs;

  // Bounded: a second server that did start would otherwise run on.
  await assert.rejects(run(OCP, ['server', '--data', dataDir, ...SERVER_FLAGS], { timeout: 30_000 }), (error: Failure) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr, new RegExp(`data directory ${dataDir} is in use by another ocp server \\(pid ${first.pid} `));
    return true;
  });
  assert.equal(readFileSync(portsFile, 'utf8'), ports);
  assert.equal(statSync(portsFile).mtimeMs, modified);

  await stop(first, 'SIGKILL');
  assert.ok(existsSync(join(dataDir, 'server.lock')), 'kill -9 leaves the lock behind');
  const second = await startServer(dataDir);
  await stop(second, 'SIGTERM');
  assert.equal(existsSync(join(dataDir, 'server.lock')), false, 'a clean stop removes the lock');
});

test('admin commands refuse to create a database unless --init, and find it by --data, OCP_DATA or the config file', async () => {
  const elsewhere = newDir();
  const dataDir = newDir();
  const env: NodeJS.ProcessEnv = { ...process.env, OCP_LOG_LEVEL: 'silent' };
  delete env.OCP_DATA;
  delete env.OCP_CONFIG;
  const ocp = (args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) => {
    const child = run(OCP, args, { cwd: elsewhere, env: options.env ?? env });
    child.child.stdin?.end(options.input ?? '');
    return child;
  };

  await assert.rejects(ocp(['user', 'add', 'ann@example.com', '--password-stdin', '--data', dataDir], { input: 'a long password\n' }), (error: Failure) => {
    assert.equal(error.code, 1);
    assert.match(error.stderr, new RegExp(`no database at ${join(dataDir, 'ocp.sqlite')}\\. Point this command at the server's data with --data, OCP_DATA .* or give --init`));
    return true;
  });
  await assert.rejects(ocp(['sender', 'list']), /no database at .*ocp\.sqlite/);
  assert.equal(existsSync(join(dataDir, 'ocp.sqlite')), false);
  assert.equal(existsSync(join(elsewhere, 'data')), false, 'no ./data made in the working directory');

  await ocp(['user', 'add', 'ann@example.com', '--password-stdin', '--init', '--data', dataDir], { input: 'a long password\n' });
  const byEnv = await ocp(['user', 'list', '--json'], { env: { ...env, OCP_DATA: dataDir } });
  assert.deepEqual((JSON.parse(byEnv.stdout) as Array<{ email: string }>).map((u) => u.email), ['ann@example.com']);
  const config = join(elsewhere, 'ocp.json');
  writeFileSync(config, JSON.stringify({ data: dataDir }));
  const byConfig = await ocp(['user', 'list', '--json', '--config', config]);
  assert.deepEqual((JSON.parse(byConfig.stdout) as Array<{ email: string }>).map((u) => u.email), ['ann@example.com']);

  await assert.rejects(ocp(['ccs', 'drain', '--data', dataDir]), (error: Failure) => {
    assert.match(error.stderr, new RegExp(`no ocp server is running on ${dataDir}`));
    return true;
  });
});
