// Nothing acknowledged is lost: a real `./bin/ocp server` process is killed
// with SIGKILL while submits are in flight, restarted on the same data
// directory, and every job /submit answered success for is there with its
// document, byte for byte.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/db.ts';
import { Accounts } from '../../src/auth/accounts.ts';
import { tempDir } from '../helpers/server.ts';
import { cloudApi, registerAndClaim, submitJob, type TestUser } from '../helpers/cloud.ts';

const OCP = fileURLToPath(new URL('../../bin/ocp', import.meta.url));
const children = new Set<ChildProcess>();
const dataDirs: string[] = [];

after(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function startChild(dataDir: string, sync: string): Promise<{ child: ChildProcess; url: string }> {
  const portsFile = join(dataDir, 'ports.json');
  rmSync(portsFile, { force: true });
  const child = spawn(process.execPath, [OCP, 'server', '--data', dataDir, '--http-port', '0', '--xmpp-port', '-1', '--xmpps-port', '-1', '--ccs-port', '-1', '--sync', sync, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  for (let i = 0; i < 300 && !existsSync(portsFile); i++) await sleep(50);
  const ports = JSON.parse(readFileSync(portsFile, 'utf8')) as { http: number };
  return { child, url: `http://127.0.0.1:${ports.http}` };
}

async function createUser(dataDir: string, email: string, password: string): Promise<TestUser> {
  const store = await openStore({ database: 'sqlite', dataDir });
  try {
    const accounts = new Accounts(store.db, { accessTokenTtlSeconds: 3600 });
    const account = await accounts.createUser(email, password);
    return { email, password, id: account.id, token: await accounts.issueApiToken(account.id) };
  } finally {
    await store.close();
  }
}

for (const sync of ['normal', 'full']) test(`every acknowledged job and document survives kill -9 of the server (--sync ${sync})`, { timeout: 60_000 }, async () => {
  const dataDir = tempDir();
  dataDirs.push(dataDir);
  let server = await startChild(dataDir, sync);
  const owner = await createUser(dataDir, 'owner@example.com', 'a long password');
  const printer = await registerAndClaim(server, owner);

  const acknowledged = new Map<string, string>();
  const submits: Array<Promise<void>> = [];
  for (let i = 0; i < 60; i++) {
    const content = `document ${i} `.repeat(200 + i);
    submits.push(
      submitJob(server, owner.token, printer.printerId, { title: `job ${i}`, content, contentType: 'text/plain' })
        .then(({ body }) => {
          if (body.success) acknowledged.set(body.job.id as string, content);
        })
        .catch(() => {}), // in flight when the server died: never acknowledged
    );
    if (i === 30) {
      // Kill while the second half is on the wire.
      while (acknowledged.size < 10) await sleep(5);
      server.child.kill('SIGKILL');
    }
  }
  await Promise.all(submits);
  await new Promise((resolve) => (server.child.exitCode !== null || server.child.signalCode ? resolve(null) : server.child.once('exit', resolve)));
  assert.ok(acknowledged.size >= 10, `${acknowledged.size} jobs acknowledged before the kill`);

  server = await startChild(dataDir, sync);
  const listed = await cloudApi(server, 'jobs', { printerid: printer.printerId, limit: 1000 }, { token: owner.token });
  const found = new Set(listed.body.jobs.map((job: { id: string }) => job.id));
  for (const [id, content] of acknowledged) {
    assert.ok(found.has(id), `acknowledged job ${id} is there after the restart`);
    const download = await fetch(`${server.url}/cloudprint/download?id=${id}`, { headers: { authorization: `Bearer ${printer.accessToken}` } });
    assert.equal(download.status, 200);
    assert.equal(await download.text(), content);
  }
  const count = await cloudApi(server, 'printer', { printerid: printer.printerId, extra_fields: 'queuedJobsCount' }, { token: printer.accessToken });
  assert.equal(count.body.printers[0].queuedJobsCount, found.size, 'queuedJobsCount matches the jobs that exist');
  // Uploads that were cut off by the kill left nothing behind.
  assert.deepEqual(readdirSync(join(dataDir, 'documents', '.incoming')), []);
  const documents = readdirSync(join(dataDir, 'documents')).filter((name) => !name.startsWith('.'));
  assert.deepEqual(documents.sort(), [...found].sort(), 'every document belongs to a job and every job has its document');
  server.child.kill('SIGTERM');
});
