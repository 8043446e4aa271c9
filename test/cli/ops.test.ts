// `ocp check` and `ocp status`, through the real binary.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { startTestServer, tempDir } from '../helpers/server.ts';
import { freePort } from '../helpers/ports.ts';
import { createUser, registerAndClaim, submitJob } from '../helpers/cloud.ts';
import { RawClient, loginRaw } from '../xmpp/raw-client.ts';
import { rawApp, startCcsServer } from '../ccs/helpers.ts';
import { openStore } from '../../src/store/db.ts';
import { checkClock, type Finding } from '../../src/server/preflight.ts';

const run = promisify(execFile);
const OCP = new URL('../../bin/ocp', import.meta.url).pathname;
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A data directory a server has run on and left, with free ports to check. */
async function preparedDataDir(): Promise<{ dataDir: string; flags: string[] }> {
  const server = await startTestServer();
  await server.stop({ keepData: true });
  dirs.push(server.dataDir);
  chmodSync(server.dataDir, 0o700);
  const flags = ['--data', server.dataDir, '--http-port', String(await freePort()), '--xmpp-port', '-1', '--xmpps-port', String(await freePort()), '--ccs-port', '-1'];
  return { dataDir: server.dataDir, flags };
}

async function check(flags: string[]): Promise<{ code: number; findings: Finding[] }> {
  try {
    const { stdout } = await run(OCP, ['check', '--json', ...flags], { timeout: 60_000 });
    return { code: 0, findings: JSON.parse(stdout) as Finding[] };
  } catch (error) {
    const { code, stdout } = error as { code: number; stdout: string };
    return { code, findings: JSON.parse(stdout) as Finding[] };
  }
}

const failures = (findings: Finding[]) => findings.filter((f) => f.level === 'fail').map((f) => `${f.check}: ${f.detail}`);

test('ocp check passes a data directory a server ran on, and prints one line per check', async () => {
  const { flags } = await preparedDataDir();
  const { code, findings } = await check(flags);
  assert.deepEqual(failures(findings), []);
  assert.equal(code, 0);
  assert.deepEqual([...new Set(findings.map((f) => f.check))], ['data', 'database', 'certificate', 'ports', 'bus', 'clock']);
  assert.match(findings.find((f) => f.check === 'database')!.detail, /ocp\.sqlite, \d+ migrations applied/);
  const { stdout } = await run(OCP, ['check', ...flags]);
  assert.match(stdout, /^ok +database +.*migrations applied$/m);
  assert.match(stdout, /no problems found\n$/);
});

test('ocp check fails on open permissions, a readable key, a certificate without the public host, and a database newer than the code', async () => {
  const { dataDir, flags } = await preparedDataDir();
  const withOperatorCert = [...flags, '--public-url', 'http://printhost.example:8080', '--tls-cert', join(dataDir, 'tls', 'server.pem'), '--tls-key', join(dataDir, 'tls', 'server-key.pem')];
  const store = await openStore({ database: 'sqlite', dataDir });
  await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01T00:00:00.000Z')`.execute(store.db);
  await store.close();
  // After the store: opening it tightens the data directory again.
  chmodSync(dataDir, 0o777);
  chmodSync(join(dataDir, 'tls', 'server-key.pem'), 0o644);
  const { code, findings } = await check(withOperatorCert);
  assert.equal(code, 1);
  const failed = failures(findings);
  assert.ok(failed.some((f) => f === `data: ${dataDir} is writable by other users (mode 0777): chmod 700 ${dataDir}`), failed.join('\n'));
  assert.ok(failed.some((f) => f.startsWith(`data: ${join(dataDir, 'tls', 'server-key.pem')} is readable by other users (mode 0644)`)), failed.join('\n'));
  assert.ok(failed.some((f) => /^certificate: .*server\.pem does not name printhost\.example \(it names localhost, 127\.0\.0\.1, ::1\)/.test(f)), failed.join('\n'));
  assert.ok(failed.some((f) => /^database: .* was migrated by a newer version \(9999_from_the_future\)/.test(f)), failed.join('\n'));

  // The generated certificate is issued again at start: a missing name is a warning only.
  const generated = await check([...flags, '--public-url', 'http://printhost.example:8080']);
  assert.match(generated.findings.find((f) => f.check === 'certificate')!.detail, /does not name printhost\.example yet: the server issues a new one from the same CA at its next start/);
});

test('ocp check fails on an unreachable database, an unreachable Redis and a port in use', async () => {
  const { flags } = await preparedDataDir();
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const taken = (holder.address() as { port: number }).port;
  try {
    const dead = await freePort();
    const { code, findings } = await check([...flags, '--database', `postgres://postgres@127.0.0.1:${dead}/ocp`, '--bus', `redis://127.0.0.1:${dead}`, '--ccs-port', String(taken)]);
    assert.equal(code, 1);
    const failed = failures(findings);
    assert.ok(failed.includes(`database: cannot open the database at postgres://postgres@127.0.0.1:${dead}/ocp: connect ECONNREFUSED 127.0.0.1:${dead}`), failed.join('\n'));
    assert.ok(failed.includes(`bus: Redis at redis://127.0.0.1:${dead}: connect ECONNREFUSED 127.0.0.1:${dead}`), failed.join('\n'));
    assert.ok(failed.includes(`ports: ccs-port 127.0.0.1:${taken}: in use`), failed.join('\n'));
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});

test('the clock check fails on a clock never set and on one far from the database server', () => {
  assert.equal(checkClock({}, Date.UTC(1970, 0, 2))[0]!.level, 'fail');
  const now = Date.UTC(2026, 11, 6);
  assert.match(checkClock({ PostgreSQL: now - 120_000 }, now)[0]!.detail, /120 s off PostgreSQL's/);
  assert.equal(checkClock({ PostgreSQL: now - 2_000, Redis: now + 1_000 }, now)[0]!.level, 'ok');
});

test('ocp status shows the running server: node, version, sessions, CCS connections, queued jobs and bus', async () => {
  const server = await startCcsServer();
  const owner = await createUser(server);
  const printer = await registerAndClaim(server, owner);
  await submitJob(server, owner.token, printer.printerId);
  const device = await RawClient.tls(server);
  await loginRaw(device, printer.jidLocal, printer.accessToken);
  const app = await rawApp(server);
  try {
    const { stdout } = await run(OCP, ['status', '--json', '--data', server.dataDir]);
    const status = JSON.parse(stdout);
    assert.equal(status.version, '0.1.0');
    assert.equal(status.pid, process.pid);
    assert.equal(status.ready, true);
    assert.deepEqual(status.ports, server.ports);
    assert.equal(status.xmpp.sessions.xmpps, 1);
    assert.equal(status.ccs.appServerConnections, 1);
    assert.deepEqual(status.jobs, { queued: 1, inProgress: 0 });
    assert.deepEqual(status.bus, { state: 'local' });
    const human = (await run(OCP, ['status', '--data', server.dataDir])).stdout;
    assert.match(human, /^jobs +1 queued, 0 in progress$/m);
    assert.equal(human.match(/^node +(.+)$/m)?.[1], status.nodeId);
    assert.match(status.nodeId, /:\d+$/);
    assert.match(human, /^devices +1 connected \(xmpps 1\): /m);

    assert.equal((await fetch(`${server.url}/admin/status`)).status, 403, 'no token');
    const token = (await import('node:fs')).readFileSync(join(server.dataDir, 'admin.token'), 'utf8').trim();
    const remote = await server.http.inject({ method: 'GET', url: '/admin/status', remoteAddress: '10.88.0.2', headers: { authorization: `Bearer ${token}` } });
    assert.equal(remote.statusCode, 403, 'not from loopback');
  } finally {
    app.client.close();
    device.close();
    await device.closed;
    await server.stop();
  }
  const stopped = tempDir();
  dirs.push(stopped);
  await assert.rejects(run(OCP, ['status', '--data', stopped]), /no ocp server is running on/);
});
