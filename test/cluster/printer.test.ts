// A Privet printer behind HAProxy in a three-node cluster (issue 20): a job
// submitted on one node reaches the printer whose session another node holds,
// its document (in PostgreSQL: no node shares a documents directory)
// downloads through the balancer and from every node, and
// when the node holding the printer is killed (-9) the printer is back
// through the balancer on another node and a job submitted meanwhile prints
// exactly once. The push for a job goes only to the node holding the printer
// (the bus registry): the third node receives no bus event for it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startClaimedClusterPrinter, type ClaimedClusterPrinter, type Cluster, type ClusterNode } from '../helpers/cluster.ts';
import { cloudApi, submitJob } from '../helpers/cloud.ts';
import { makePdf, waitFor, type TestPrinter } from '../privet/helpers.ts';

let cluster: Cluster;
let printer: TestPrinter;
let owner: { email: string; token: string };
let printerId: string;

let setup: ClaimedClusterPrinter | undefined;

before(async () => {
  setup = await startClaimedClusterPrinter('Cluster Printer');
  ({ cluster, owner, printer, printerId } = setup);
});
after(() => setup?.stop());

/** The output sidecars of the cloud job `jobId` (one per time it was printed). */
function printed(jobId: string): Array<{ document: string; state: { type: string } }> {
  return readdirSync(printer.outputDir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(printer.outputDir, name), 'utf8')))
    .filter((sidecar) => sidecar.server_job_id === jobId);
}

async function holder(): Promise<ClusterNode> {
  return waitFor('one node holding the printer session', () => cluster.nodeWithSessions(), 30_000);
}

test('a job submitted on one node reaches the printer held by another and its document downloads through the balancer', async () => {
  const holding = await holder();
  const submitter = cluster.nodes.find((node) => node !== holding)!;
  const document = makePdf(2, 'Across nodes');
  const started = performance.now();
  const submitted = await submitJob(submitter, owner.token, printerId, { title: 'cross-node', content: new Uint8Array(document) });
  assert.equal(submitted.body.success, true, JSON.stringify(submitted.body));
  const jobId = String(submitted.body.job.id);
  const [sidecar] = await waitFor('the job printed', () => printed(jobId)[0] && printed(jobId), 10_000, 10);
  const elapsed = performance.now() - started;
  console.log(`# submit on ${submitter.name} → printed by the printer on ${holding.name}: ${elapsed.toFixed(0)} ms`);
  assert.equal(sidecar!.state.type, 'DONE');
  assert.deepEqual(readFileSync(sidecar!.document), document);
  assert.ok(elapsed < 5000, `took ${elapsed} ms`);

  // The fileUrl names the balancer; HAProxy's round robin sends consecutive
  // downloads to every node, and each serves the document from the database:
  // no node holds it as a file.
  for (const node of cluster.nodes) assert.deepEqual(readdirSync(join(node.dataDir, 'documents')).filter((name) => !name.startsWith('.')), [], `${node.name} has no document file`);
  const job = ((await cloudApi(cluster.balancer, 'jobs', { printerid: printerId }, { token: owner.token })).body.jobs as Array<Record<string, string>>).find((j) => j.id === jobId)!;
  assert.ok(job.fileUrl!.startsWith(`${cluster.balancer.url}/`), job.fileUrl);
  for (let i = 0; i < cluster.nodes.length; i++) {
    const response = await fetch(job.fileUrl!, { headers: { authorization: `Bearer ${owner.token}` } });
    assert.equal(response.status, 200);
    assert.deepEqual(Buffer.from(await response.arrayBuffer()), document);
  }
  for (const node of cluster.nodes) {
    const direct = await fetch(`${node.url}/cloudprint/download?id=${jobId}`, { headers: { authorization: `Bearer ${owner.token}` } });
    assert.equal(direct.status, 200, `${node.name} serves the document`);
    assert.deepEqual(Buffer.from(await direct.arrayBuffer()), document);
  }
});

/** The node's ocp_bus_events_received_total, by event type. */
async function busEventsReceived(node: ClusterNode): Promise<Record<string, number>> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, type, count] of text.matchAll(/^ocp_bus_events_received_total\{type="([^"]+)"\} (\d+)$/gm)) counts[type!] = Number(count);
  return counts;
}

test('the push for a job submitted on one node reaches only the node holding the printer, not the third', async () => {
  const holding = await holder();
  const [submitter, third] = cluster.nodes.filter((node) => node !== holding) as [ClusterNode, ClusterNode];
  const [holderBefore, thirdBefore] = await Promise.all([busEventsReceived(holding), busEventsReceived(third)]);
  const submitted = await submitJob(submitter, owner.token, printerId, { title: 'targeted', content: new Uint8Array(makePdf(1, 'Targeted')) });
  assert.equal(submitted.body.success, true, JSON.stringify(submitted.body));
  const jobId = String(submitted.body.job.id);
  await waitFor('the job printed', () => printed(jobId).length > 0, 10_000);
  // The submitting node publishes the push, then (answering the submit) a
  // console change every node hears: once the third node has that, it would
  // have had the push too.
  await waitFor('the console change on the third node', async () => ((await busEventsReceived(third))['printer-changed'] ?? 0) > (thirdBefore['printer-changed'] ?? 0));
  const [holderAfter, thirdAfter] = await Promise.all([busEventsReceived(holding), busEventsReceived(third)]);
  console.log(`# push events received: ${holding.name} (holder) ${holderBefore.printer ?? 0} → ${holderAfter.printer ?? 0}, ${third.name} ${thirdBefore.printer ?? 0} → ${thirdAfter.printer ?? 0}`);
  assert.ok((holderAfter.printer ?? 0) > (holderBefore.printer ?? 0), 'the holder received the push');
  assert.equal(thirdAfter.printer ?? 0, thirdBefore.printer ?? 0, 'the third node received no push');
});

test('kill -9 of the node holding the printer: it reconnects through the balancer within 30 s and a job submitted meanwhile prints once', async () => {
  const killed = await holder();
  const killedAt = performance.now();
  await killed.stop('SIGKILL');
  const document = makePdf(1, 'During the outage');
  const submitted = await submitJob(cluster.balancer, owner.token, printerId, { title: 'during-outage', content: new Uint8Array(document) });
  assert.equal(submitted.body.success, true, JSON.stringify(submitted.body));
  const jobId = String(submitted.body.job.id);

  const back = await waitFor('the printer back on another node', () => cluster.nodeWithSessions(), 30_000, 50);
  const reconnectMs = performance.now() - killedAt;
  console.log(`# ${killed.name} killed: printer back on ${back.name} after ${reconnectMs.toFixed(0)} ms`);
  assert.notEqual(back, killed);
  assert.equal((await back.status()).nodeId, back.name);
  assert.ok(reconnectMs < 30_000);

  await waitFor('the job printed', () => printed(jobId).length > 0, 20_000);
  await waitFor('DONE in the cloud', async () => {
    const jobs = (await cloudApi(cluster.balancer, 'jobs', { printerid: printerId }, { token: owner.token })).body.jobs as Array<Record<string, any>>;
    return jobs.find((j) => j.id === jobId)?.semanticState?.state?.type === 'DONE';
  });
  // A second announcement (the reconnect fetch and the bus push) must not print it again.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  assert.equal(printed(jobId).length, 1);
  assert.deepEqual(readFileSync(printed(jobId)[0]!.document), document);
});
