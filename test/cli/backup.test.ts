// `ocp backup` taken while jobs are being submitted, restored with
// `ocp restore` into a new data directory: the restored server serves the
// same jobs with the same documents.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, submitJob } from '../helpers/cloud.ts';
import { waitFor } from '../helpers/wait.ts';

const run = promisify(execFile);
const OCP = new URL('../../bin/ocp', import.meta.url).pathname;
const work = tempDir('ocp-backup-');
after(() => rmSync(work, { recursive: true, force: true }));

/** Submits jobs four at a time until `stop` is set or `max` are in; records each job's document. */
function submitUntilStopped(server: TestServer, token: string, printerId: string, max: number) {
  const documents = new Map<string, Buffer>();
  let stopped = false;
  let next = 0;
  const worker = async () => {
    while (!stopped && next < max) {
      const n = next++;
      const content = Buffer.concat([Buffer.from(`%PDF-1.4 job ${n}\n`), randomBytes(1024 + ((n * 7919) % 100_000))]);
      const reply = await submitJob(server, token, printerId, { title: `job ${n}`, content: new Uint8Array(content) });
      assert.equal(reply.body.success, true, JSON.stringify(reply.body));
      documents.set(String(reply.body.job.id), content);
    }
  };
  const done = Promise.all([worker(), worker(), worker(), worker()]);
  return {
    documents,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

test('a backup taken under load restores to a server that serves the same jobs and documents', { timeout: 180_000 }, async () => {
  const server = await startTestServer();
  const backupDir = join(work, 'backup');
  const restoredDir = join(work, 'restored');
  let restored: TestServer | undefined;
  try {
    const owner = await createUser(server);
    const printer = await registerAndClaim(server, owner);
    const load = submitUntilStopped(server, owner.token, printer.printerId, 2000);
    await waitFor('jobs before the backup', () => load.documents.size >= 20);
    const before = load.documents.size;
    const { stdout } = await run(OCP, ['backup', backupDir, '--data', server.dataDir], { env: { ...process.env, OCP_LOG_LEVEL: 'silent' } });
    await load.stop();
    const manifest = JSON.parse(readFileSync(join(backupDir, 'backup.json'), 'utf8')) as { jobs: number; documents: number; documentsGone: number };
    assert.match(stdout, new RegExp(`^backed up ${manifest.jobs} job\\(s\\) and ${manifest.documents} document\\(s\\)`));
    assert.ok(manifest.jobs >= before && manifest.jobs <= load.documents.size, `${before} ≤ ${manifest.jobs} ≤ ${load.documents.size}`);
    assert.ok(load.documents.size > manifest.jobs, 'jobs were submitted while the backup ran');
    assert.equal(manifest.documents, manifest.jobs);
    assert.equal(manifest.documentsGone, 0);

    await run(OCP, ['restore', backupDir, '--data', restoredDir]);
    restored = await startTestServer({ dataDir: restoredDir });
    const listed = await cloudApi(restored, 'jobs', { printerid: printer.printerId, limit: 1000 }, { token: owner.token });
    const jobs = listed.body.jobs as Array<{ id: string; fileUrl: string }>;
    assert.equal(jobs.length, manifest.jobs);
    for (const job of jobs) {
      const document = await fetch(job.fileUrl, { headers: { authorization: `Bearer ${owner.token}` } });
      assert.equal(document.status, 200, job.id);
      assert.ok(Buffer.from(await document.arrayBuffer()).equals(load.documents.get(job.id)!), `document of ${job.id}`);
    }
    assert.equal(readFileSync(join(restoredDir, 'tls', 'ca.pem'), 'utf8'), readFileSync(join(server.dataDir, 'tls', 'ca.pem'), 'utf8'), 'devices keep trusting the restored server');

    await assert.rejects(run(OCP, ['restore', backupDir, '--data', restoredDir]), /a server runs on .* stop it first/);
  } finally {
    await restored?.stop({ keepData: true });
    await server.stop();
  }
  await assert.rejects(run(OCP, ['restore', backupDir, '--data', restoredDir]), /ocp\.sqlite exists: restore into an empty data directory/);
  const occupied = join(work, 'occupied');
  mkdirSync(occupied);
  writeFileSync(join(occupied, 'something'), '');
  await assert.rejects(run(OCP, ['backup', occupied, '--data', restoredDir]), /is not empty: back up into a new directory/);
});
