// IPP through a three-node cluster (issue 20: any node takes any request):
// a client's Create-Job, Get-Jobs, Send-Document and Get-Job-Attributes each
// reach another node, as HAProxy's round robin sends them, and the job is one
// job throughout (its pending Create-Job lives in PostgreSQL, not in a node's
// memory): the Privet printer behind the balancer prints it once, and a
// second Send-Document for it on yet another node is refused. IPPS goes
// through the balancer too (TCP mode, ipptool as the client), and the
// printer's URIs name the balancer's ports, not a node's.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { attr, ipp } from '../../src/ipp/codec.ts';
import { ippJobId } from '../../src/ipp/job-attributes.ts';
import { startClaimedClusterPrinter, type ClaimedClusterPrinter, type Cluster } from '../helpers/cluster.ts';
import { cloudApi } from '../helpers/cloud.ts';
import { tempDir } from '../helpers/server.ts';
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

/**
 * ipptool (CUPS) runs `test` against `uri`: its exit status and output. Its
 * DISPLAY lines read "        NAME (TYPE) = VALUE,VALUE".
 */
async function ipptool(uri: string, test: string, extra: string[] = []): Promise<{ ok: boolean; output: string }> {
  const dir = tempDir('ocp-ipptool-');
  try {
    writeFileSync(join(dir, 'call.test'), test);
    writeFileSync(join(dir, 'page.pdf'), makePdf(1, 'IPPS through the balancer'));
    const { stdout, stderr } = await promisify(execFile)('ipptool', ['-t', ...extra, uri, 'call.test'], { cwd: dir, timeout: 60_000 });
    return { ok: true, output: stdout + stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    return { ok: false, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const GET_URIS = `{
  NAME "Get-Printer-Attributes: the printer's URIs"
  OPERATION Get-Printer-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR keyword requested-attributes printer-uri-supported,printer-icons
  STATUS successful-ok
  DISPLAY printer-uri-supported
  DISPLAY printer-icons
}
`;

const PRINT_JOB = `{
  NAME "Print-Job over IPPS through the balancer"
  OPERATION Print-Job
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name $user
  ATTR name job-name "ipps through the balancer"
  ATTR mimeMediaType document-format application/pdf
  FILE page.pdf
  STATUS successful-ok
  EXPECT job-id OF-TYPE integer
}
`;

/** The values ipptool DISPLAYed for `name`; CUPS's Host header names 127.0.0.1 "localhost", which the URIs repeat. */
function displayed(output: string, name: string): string[] {
  const line = output.split('\n').find((text) => text.trim().startsWith(`${name} (`));
  return line ? line.slice(line.indexOf(' = ') + 3).trim().split(',').map((uri) => uri.replace('://localhost:', '://127.0.0.1:')) : [];
}

test('IPPS through the balancer: ipptool prints over ipps:// on its port, and the printer\'s URIs name the balancer\'s ports on either listener', async () => {
  const httpPort = Number(new URL(cluster.balancer.url).port);
  const ippsPort = cluster.balancer.ipps;
  const expected = [`ipp://127.0.0.1:${httpPort}/ipp/print/${printerId}`, `ipps://127.0.0.1:${ippsPort}/ipp/print/${printerId}`];
  // Every node answers through the balancer (round robin on REST, least connections on IPPS): ask more times than there are nodes.
  for (let i = 0; i < cluster.nodes.length + 1; i++) {
    for (const uri of [`ipps://127.0.0.1:${ippsPort}/ipp/print/${printerId}`, `ipp://127.0.0.1:${httpPort}/ipp/print/${printerId}`]) {
      const { ok, output } = await ipptool(uri, GET_URIS);
      assert.ok(ok, output);
      assert.deepEqual(displayed(output, 'printer-uri-supported'), expected, output);
      const secure = uri.startsWith('ipps:');
      assert.deepEqual(displayed(output, 'printer-icons'), [`${secure ? 'https' : 'http'}://127.0.0.1:${secure ? ippsPort : httpPort}/ipp/icon.png`], output);
    }
  }

  const before = new Set(readdirSync(printer.outputDir));
  const printed = await ipptool(`ipps://ocp:${owner.token}@127.0.0.1:${ippsPort}/ipp/print/${printerId}`, PRINT_JOB, ['-d', `user=${owner.email}`]);
  assert.ok(printed.ok, printed.output);
  const sidecar = await waitFor('the IPPS job printed', () => {
    const fresh = readdirSync(printer.outputDir).filter((name) => name.endsWith('.json') && !before.has(name));
    return fresh.length ? (JSON.parse(readFileSync(join(printer.outputDir, fresh[0]!), 'utf8')) as { title?: string; state: { type: string } }) : undefined;
  }, 15_000, 10);
  assert.equal(sidecar.state.type, 'DONE');
});

// Last: it stops the printer.
test('every node sees the device leave: its printer is stopped with shutdown-report on each, whichever node held its session', async () => {
  const state = async (node: number) => {
    const reply = await callOn(node, { operation: Op.getPrinterAttributes, attributes: [attr('requested-attributes', ipp.keyword('printer-state'), ipp.keyword('printer-state-reasons'))] });
    return { state: values(reply.printer, 'printer-state')[0], reasons: values(reply.printer, 'printer-state-reasons') };
  };
  for (let node = 0; node < cluster.nodes.length; node++) assert.notEqual((await state(node)).state, 5, `node ${node + 1}: not stopped while the device is connected`);
  await printer.stop();
  for (let node = 0; node < cluster.nodes.length; node++) {
    const seen = await waitFor(`node ${node + 1} sees the printer stopped`, async () => {
      const now = await state(node);
      return now.state === 5 ? now : undefined;
    }, 10_000);
    assert.ok(seen.reasons.includes('shutdown-report'), JSON.stringify(seen));
  }
});
