// Cloud jobs that cannot print at once (issue 14 item 2): the printer never
// dies from a job. A cloud job queued behind a local job held by paper-out
// for longer than the download timeout (`--cloud-timeout 2`) prints once the
// fault clears; a job whose document cannot be fetched ends ABORTED with
// DOWNLOAD_FAILURE (GCP §d), and the printer goes on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestServer } from '../helpers/server.ts';
import { submitJob, type TestUser } from '../helpers/cloud.ts';
import { makePdf, slowUpload, startClaimedPrinter, waitFor, waitForCloudJob, type ClaimedPrinter, type TestPrinter } from './helpers.ts';

const TIMEOUT_SECONDS = 2;
let server: TestServer;
let printer: TestPrinter;
let owner: TestUser;
let printerId: string;
let setup: ClaimedPrinter | undefined;

before(async () => {
  setup = await startClaimedPrinter(['--cloud-timeout', String(TIMEOUT_SECONDS), '--download-retry-delay', '0']);
  ({ server, printer, owner, printerId } = setup);
});
after(() => setup?.stop());

const cloudJob = (id: string, until: (job: Record<string, any>) => boolean) => waitForCloudJob(setup!, id, until);

const alive = () => printer.child.exitCode === null && printer.child.signalCode === null;

test('a cloud job waiting behind a local job held by paper-out longer than the download timeout prints when the fault clears', async () => {
  const local = makePdf(1, 'Local');
  const upload = slowUpload(`${printer.privet}/privet/printer/submitdoc?job_name=Local`, { 'X-Privet-Token': await printer.token(), 'Content-Type': 'application/pdf' }, local.subarray(0, 100), local.length);
  void upload.reply.catch(() => {}); // awaited below; a printer that died fails the test at `alive()` first
  await waitFor('the local job printing', async () => (await printer.panelState()).printing !== null);
  await printer.panelPost('/panel/state', { paper: 'empty' });
  // Large enough that its download is still going on when the timeout strikes (small ones sit whole in buffers).
  const reply = await submitJob(server, owner.token, printerId, { title: 'Behind the local job', content: new Uint8Array(makePdf(2, 'x'.repeat(4 << 20))) });
  const id = String(reply.body.job.id);
  await waitFor('the push reached the printer', () => printer.log().includes('notification received'));
  await sleep(TIMEOUT_SECONDS * 3 * 1000);
  assert.ok(alive(), `the printer died:\n${printer.log().slice(-3000)}`);
  // Its document waits downloaded, in a file only the printer can read.
  const spooled = readdirSync(join(printer.dataDir, 'cloud-spool'));
  assert.equal(spooled.length, 1);
  assert.equal(statSync(join(printer.dataDir, 'cloud-spool', spooled[0]!)).mode & 0o777, 0o600);
  const waiting = await cloudJob(id, () => true);
  assert.notEqual(waiting.semanticState?.state?.type, 'ABORTED');

  await printer.panelPost('/panel/state', { paper: 'ok' });
  upload.req.end(local.subarray(100));
  assert.equal((await upload.reply).json.job_name, 'Local');
  const done = await cloudJob(id, (j) => ['DONE', 'ABORTED'].includes(j.semanticState?.state?.type));
  assert.equal(done.semanticState.state.type, 'DONE', JSON.stringify(done.semanticState));
  assert.equal(done.semanticState.pages_printed, 2);
  // The runner reports DONE, then removes the file: wait for it, not for the report.
  await waitFor('the spooled document removed after printing', () => readdirSync(join(printer.dataDir, 'cloud-spool')).length === 0);
});

test('a job whose document cannot be fetched ends ABORTED with DOWNLOAD_FAILURE; the printer goes on', async () => {
  // Paused, the printer cannot fetch before the document is gone from the server.
  printer.child.kill('SIGSTOP');
  let id: string;
  try {
    const reply = await submitJob(server, owner.token, printerId, { title: 'Gone', content: new Uint8Array(makePdf(1)) });
    id = String(reply.body.job.id);
    const documents = join(server.dataDir, 'documents');
    for (const name of readdirSync(documents)) if (statSync(join(documents, name)).isFile()) rmSync(join(documents, name));
  } finally {
    printer.child.kill('SIGCONT');
  }
  const aborted = await cloudJob(id, (j) => j.semanticState?.state?.type === 'ABORTED');
  assert.deepEqual(aborted.semanticState.state.device_action_cause, { error_code: 'DOWNLOAD_FAILURE' });
  assert.ok(alive());
  const next = await submitJob(server, owner.token, printerId, { title: 'After', content: new Uint8Array(makePdf(1)) });
  await cloudJob(String(next.body.job.id), (j) => j.semanticState?.state?.type === 'DONE');
});
