// SIGTERM of one node of a three-node cluster behind HAProxy (issue 20,
// rolling upgrade): the node's /readyz turns 503 at once, HAProxy marks it
// down in every backend within --shutdown-delay, submits through the balancer
// meanwhile all succeed, an upload in flight on the draining node, whose
// body is finished only after the node stopped taking new connections, is
// answered and its job kept, and the Privet printer the node held comes back
// through the balancer on another node and prints every job exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { startCluster, startClusterPrinter, clusterUser, type Cluster } from '../helpers/cluster.ts';
import { cloudApi, submitJob } from '../helpers/cloud.ts';
import { waitFor } from '../helpers/wait.ts';
import { makePdf, registerThroughPrivet, type TestPrinter } from '../privet/helpers.ts';

const SHUTDOWN_DELAY_SECONDS = 5;
const DOCUMENT = makePdf(1, 'Rolling upgrade');
let cluster: Cluster;
let printer: TestPrinter;

before(async () => {
  cluster = await startCluster({ nodeArgs: ['--shutdown-delay', String(SHUTDOWN_DELAY_SECONDS)] });
  printer = await startClusterPrinter(cluster, 'Drain Printer');
});

after(async () => {
  await printer?.stop();
  printer?.cleanup();
  await cluster?.stop();
});

/** How many times the printer printed each cloud job. */
function printCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of readdirSync(printer.outputDir).filter((file) => file.endsWith('.json'))) {
    const jobId = String(JSON.parse(readFileSync(`${printer.outputDir}/${name}`, 'utf8')).server_job_id);
    counts.set(jobId, (counts.get(jobId) ?? 0) + 1);
  }
  return counts;
}

/** A multipart /cloudprint/submit body, sent in two halves: the reply comes once the second is written. */
function halfSentSubmit(url: string, token: string, printerId: string, title: string) {
  const boundary = 'cluster-drain-boundary';
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    field('printerid', printerId) + field('title', title) + field('contentType', 'application/pdf') +
      `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="document"\r\nContent-Type: application/pdf\r\n\r\n`,
  );
  const body = Buffer.concat([head, DOCUMENT, Buffer.from(`\r\n--${boundary}--\r\n`)]);
  const req = request(`${url}/cloudprint/submit`, {
    method: 'POST',
    agent: false,
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) },
  });
  const reply = new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
    req.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
  });
  const connected = new Promise<void>((resolve) => req.once('socket', (socket) => socket.once('connect', () => resolve())));
  req.write(body.subarray(0, body.length / 2));
  return { connected, finish: () => req.end(body.subarray(body.length / 2)), reply };
}

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

test('SIGTERM drains a node: /readyz 503, HAProxy takes it out, nothing in flight or submitted meanwhile is lost', async () => {
  const owner = await clusterUser(cluster);
  const printerId = await registerThroughPrivet(printer, cluster.balancer.url, owner);
  const draining = await waitFor('one node holding the printer session', () => cluster.nodeWithSessions(), 30_000);
  const inFlight = halfSentSubmit(draining.url, owner.token, printerId, 'in flight');
  await inFlight.connected;

  const signalledAt = performance.now();
  const stopped = draining.stop('SIGTERM');
  await waitFor('/readyz 503 on the draining node', async () => (await fetch(`${draining.url}/readyz`)).status === 503, 2000, 20);
  const submitted: string[] = [];
  const submitThroughBalancer = async (title: string) => {
    const reply = await submitJob(cluster.balancer, owner.token, printerId, { title, content: new Uint8Array(DOCUMENT) });
    assert.equal(reply.body.success, true, JSON.stringify(reply.body));
    submitted.push(String(reply.body.job.id));
  };
  let downAfterMs = 0;
  await waitFor('HAProxy sees the draining node down in every backend', async () => {
    await submitThroughBalancer(`during the delay ${submitted.length}`);
    const states = await cluster.balancer.serverStates();
    const down = Object.entries(states).filter(([name]) => name.endsWith(`/${draining.name}`)).every(([, state]) => state === 'DOWN');
    if (!down) return false;
    downAfterMs = performance.now() - signalledAt;
    // Out of the balancer before it stops serving: no client meets a closing node.
    assert.equal(await refusesConnections(draining.ports.http), false, 'HAProxy took the node out only once it had closed');
    return true;
  }, SHUTDOWN_DELAY_SECONDS * 1000, 50);
  console.log(`# HAProxy took ${draining.name} out ${downAfterMs.toFixed(0)} ms after SIGTERM (shutdown delay ${SHUTDOWN_DELAY_SECONDS} s)`);

  // After the delay the node stops taking connections; the upload it took before is still answered.
  await waitFor('the draining node refuses new connections', () => refusesConnections(draining.ports.http), 10_000, 20);
  console.log(`# ${draining.name} stopped listening ${(performance.now() - signalledAt).toFixed(0)} ms after SIGTERM`);
  inFlight.finish();
  const reply = await inFlight.reply;
  assert.equal(reply.status, 200);
  assert.equal(reply.body.success, true, JSON.stringify(reply.body));
  for (let i = 0; i < 5; i++) await submitThroughBalancer(`after the listeners closed ${i}`);
  await stopped;
  assert.equal(draining.child.exitCode, 0, draining.log().slice(-2000));

  const jobs = (await cloudApi(cluster.balancer, 'jobs', { printerid: printerId }, { token: owner.token })).body.jobs as Array<Record<string, string>>;
  const ids = new Set(jobs.map((job) => job.id));
  const expected = [...submitted, String((reply.body.job as { id: string }).id)];
  for (const id of expected) assert.ok(ids.has(id), `job ${id} kept`);
  assert.equal(jobs.length, expected.length);

  // The printer's session ended with the node; it is back on another node and prints every job once.
  const back = await waitFor('the printer back on another node', () => cluster.nodeWithSessions(), 30_000, 50);
  assert.notEqual(back, draining);
  console.log(`# printer back on ${back.name} ${(performance.now() - signalledAt).toFixed(0)} ms after SIGTERM`);
  await waitFor('every job printed', () => expected.every((id) => printCounts().has(id)), 30_000);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const counts = printCounts();
  assert.deepEqual(expected.map((id) => counts.get(id)), expected.map(() => 1));
});
