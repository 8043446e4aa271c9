// IPP through a three-node cluster (issue 20: any node takes any request):
// a client's Create-Job, Get-Jobs, Send-Document and Get-Job-Attributes each
// reach another node, as HAProxy's round robin sends them, and the job is one
// job throughout (its pending Create-Job lives in PostgreSQL, not in a node's
// memory): the Privet printer behind the balancer prints it once, and a
// second Send-Document for it on yet another node is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { attr, ipp } from '../../src/ipp/codec.ts';
import { ippJobId } from '../../src/ipp/job-attributes.ts';
import { startClaimedClusterPrinter, type ClaimedClusterPrinter, type Cluster } from '../helpers/cluster.ts';
import { cloudApi } from '../helpers/cloud.ts';
import { makePdf, waitFor, type TestPrinter } from '../privet/helpers.ts';
import { ippCall, Op, values, type IppCall } from '../ipp/client.ts';

let cluster: Cluster;
let printer: TestPrinter;
let owner: { email: string; token: string };
let printerId: string;

let setup: ClaimedClusterPrinter | undefined;

before(async () => {
  setup = await startClaimedClusterPrinter('Cluster IPP Printer');
  ({ cluster, owner, printer, printerId } = setup);
});
after(() => setup?.stop());

/** An IPP request to one node, signed in with the user's API token as HTTP Basic password. */
function callOn(nodeIndex: number, call: Omit<IppCall, 'url' | 'auth'>) {
  return ippCall({ url: `${cluster.nodes[nodeIndex]!.url}/ipp/print/${printerId}`, auth: { username: owner.email, password: owner.token }, ...call });
}

/** The output sidecars of the cloud job `jobId` (one per time it was printed). */
function printed(jobId: string): Array<{ document: string; state: { type: string } }> {
  return readdirSync(printer.outputDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(printer.outputDir, name), 'utf8')))
    .filter((sidecar) => sidecar.server_job_id === jobId);
}

test('Create-Job on node 1, Get-Jobs on node 2, Send-Document on node 2, Get-Job-Attributes on node 3: one job, printed once', async () => {
  await waitFor('one node holding the printer session', () => cluster.nodeWithSessions(), 30_000);
  const document = makePdf(1, 'IPP across nodes');
  const started = performance.now();
  const created = await callOn(0, { operation: Op.createJob, attributes: [attr('job-name', ipp.name('ipp across nodes')), attr('document-format', ipp.mime('application/pdf'))] });
  assert.equal(created.status, 0, String(created.operation.get('status-message')?.[0]?.value));
  const jobId = Number(values(created.jobs[0]!, 'job-id')[0]);

  const listed = await callOn(1, { operation: Op.getJobs, attributes: [attr('requested-attributes', ipp.keyword('job-id'), ipp.keyword('job-state'))] });
  assert.equal(listed.status, 0);
  const pending = listed.jobs.find((job) => values(job, 'job-id')[0] === jobId);
  assert.ok(pending, 'node 2 lists the job node 1 created');
  assert.deepEqual(values(pending, 'job-state'), [3], 'pending');

  const sent = await callOn(1, { operation: Op.sendDocument, attributes: [attr('job-id', ipp.int(jobId)), attr('last-document', ipp.bool(true))], document });
  assert.equal(sent.status, 0, String(sent.operation.get('status-message')?.[0]?.value));
  assert.deepEqual(values(sent.jobs[0]!, 'job-id'), [jobId]);

  const seen = await callOn(2, { operation: Op.getJobAttributes, attributes: [attr('job-id', ipp.int(jobId))] });
  assert.equal(seen.status, 0);
  assert.deepEqual(values(seen.jobs[0]!, 'job-name'), ['ipp across nodes']);

  const jobs = (await cloudApi(cluster.balancer, 'jobs', { printerid: printerId }, { token: owner.token })).body.jobs as Array<{ id: string }>;
  const cloudJob = jobs.filter((job) => ippJobId(job.id) === jobId);
  assert.equal(cloudJob.length, 1, 'one cloud job');
  const [sidecar] = await waitFor('the job printed', () => printed(cloudJob[0]!.id)[0] && printed(cloudJob[0]!.id), 15_000, 10);
  const elapsed = performance.now() - started;
  console.log(`# Create-Job on node1 → Send-Document on node2 → printed: ${elapsed.toFixed(0)} ms`);
  assert.equal(sidecar!.state.type, 'DONE');
  assert.deepEqual(readFileSync(sidecar!.document), document);

  const again = await callOn(2, { operation: Op.sendDocument, attributes: [attr('job-id', ipp.int(jobId)), attr('last-document', ipp.bool(true))], document });
  assert.equal(again.status, 0x0404, 'client-error-not-possible: the job has its document');
  const done = await waitFor('node 3 sees the job completed', async () => {
    const reply = await callOn(2, { operation: Op.getJobAttributes, attributes: [attr('job-id', ipp.int(jobId))] });
    return values(reply.jobs[0]!, 'job-state')[0] === 9 || undefined;
  }, 10_000);
  assert.ok(done);
  assert.equal(printed(cloudJob[0]!.id).length, 1, 'printed once');
});

test('Create-Jobs made on every node are listed on every node; Close-Job on another node aborts one, Cancel-My-Jobs the rest', async () => {
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    const created = await callOn(i, { operation: Op.createJob });
    assert.equal(created.status, 0);
    ids.push(Number(values(created.jobs[0]!, 'job-id')[0]));
  }
  const mine = await callOn(0, { operation: Op.getJobs, attributes: [attr('my-jobs', ipp.bool(true))] });
  for (const id of ids) assert.ok(mine.jobs.some((job) => values(job, 'job-id')[0] === id), `node 1 lists job ${id}`);
  const closed = await callOn(2, { operation: Op.closeJob, attributes: [attr('job-id', ipp.int(ids[0]!))] });
  assert.equal(closed.status, 0);
  assert.deepEqual(values(closed.jobs[0]!, 'job-state'), [8], 'aborted: it never got a document');
  const gone = await callOn(1, { operation: Op.getJobAttributes, attributes: [attr('job-id', ipp.int(ids[0]!))] });
  assert.equal(gone.status, 0x0406, 'no node has it any more');
  const canceled = await callOn(0, { operation: Op.cancelMyJobs });
  assert.equal(canceled.status, 0);
  for (let i = 0; i < 3; i++) {
    const left = await callOn(i, { operation: Op.getJobs, attributes: [attr('which-jobs', ipp.keyword('not-completed'))] });
    assert.ok(!left.jobs.some((job) => ids.includes(Number(values(job, 'job-id')[0]))), `node ${i + 1} lists none of them`);
  }
});
