// A rolling restart of all three nodes under load (issue 20): 1,000 device
// sessions (950 CCS devices, 50 printers) spread over the nodes by HAProxy,
// an app server, downstream and upstream messages and job submits flowing;
// each node in turn gets SIGTERM (--shutdown-delay: HAProxy takes it out
// first), exits, starts again with the same data directory, flags and ports,
// and once HAProxy sees it up the next one goes. Afterwards every device is
// online again and, as in kill-under-load.test.ts, nothing acknowledged was
// lost: every downstream message the app server got an ACK for reached its
// device, every upstream message the server ACKed reached the app server,
// every job whose submit succeeded was announced and printed once. Nothing
// reached a device twice: a draining node waits for its devices' last ACKs
// before it ends their sessions (001, "Message Format": an un-ACKed message
// is sent again). The app server may get an upstream message or receipt
// again on its new connection when its ACK on the drained one was not
// stored (001, "Flow Control": ACKs are valid on one connection only).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { allOnline, appServer, clusterSessions, connectFleet, LOAD, seedFleet, stopLoad, Workload, type Fleet } from '../helpers/cluster-load.ts';
import type { CcsAppServer } from '../../src/ccs/sdk/appserver.ts';
import { waitFor } from '../helpers/wait.ts';

const SESSIONS = LOAD.devices + LOAD.printers;
const SHUTDOWN_DELAY_SECONDS = 2;
let cluster: Cluster;
let fleet: Fleet | undefined;
let app: CcsAppServer | undefined;

before(async () => {
  cluster = await startCluster({ nodeArgs: ['--shutdown-delay', String(SHUTDOWN_DELAY_SECONDS)] });
});

after(() => stopLoad(app, fleet, cluster));

test('a rolling restart of every node under load loses nothing and gives no device a message twice', async () => {
  const started = performance.now();
  fleet = await seedFleet(cluster);
  const connectMs = await connectFleet(fleet);
  app = appServer(cluster, fleet);
  await app.connect();
  assert.equal(await clusterSessions(cluster), SESSIONS);
  const spread = await Promise.all(cluster.nodes.map(async (node) => Object.values((await node.status()).xmpp.sessions).reduce((a, b) => a + b, 0)));
  console.log(`# ${SESSIONS} sessions connected through HAProxy in ${connectMs.toFixed(0)} ms, ${spread.join(' / ')} on the three nodes`);

  const workload = new Workload(cluster, fleet, app);
  workload.start(40_000);
  const restartStarted = performance.now();
  for (const node of [...cluster.nodes]) {
    const signalled = performance.now();
    await node.stop('SIGTERM');
    assert.equal(node.child.exitCode, 0, node.log().slice(-2000));
    const stoppedMs = performance.now() - signalled;
    await cluster.restartNode(node);
    const upMs = performance.now() - signalled;
    // As an operator would: the next node goes once the cluster has every device again.
    await waitFor('every device back online', () => allOnline(fleet!), 60_000, 20);
    console.log(`# ${node.name}: exited ${stoppedMs.toFixed(0)} ms after SIGTERM, up in HAProxy again after ${upMs.toFixed(0)} ms, every device online again after ${(performance.now() - signalled).toFixed(0)} ms`);
  }
  const restartMs = performance.now() - restartStarted;
  workload.finishNow();
  let held = 0;
  await waitFor('the nodes hold every session', async () => (held = await clusterSessions(cluster)) === SESSIONS, 10_000).catch((error: Error) => {
    throw new Error(`${error.message}: ${held} sessions`);
  });
  console.log(`# rolling restart of 3 nodes: ${restartMs.toFixed(0)} ms (${fleet.ccs.reconnects} device reconnects, ${fleet.ccs.failedAttempts} attempts failed${fleet.ccs.failureReasons.length ? `: ${fleet.ccs.failureReasons.join('; ')}` : ''})`);

  const settleMs = await workload.settle(40_000);
  // Late copies would come right after the reconnects: give them a moment to show.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const verdict = workload.verdict();
  console.log(`# downstream: ${verdict.downstreamAcked} ACKed to the app server, all delivered, ${verdict.duplicateDownstream.length} twice, ${verdict.duplicateReceipts} receipts twice`);
  console.log(`# upstream: ${verdict.upstreamAcked} ACKed to devices, all received by the app server, ${verdict.duplicateUpstream.length} twice`);
  console.log(`# jobs: ${verdict.jobsSubmitted} submitted (${verdict.submitFailures.length} submits failed), all printed once; everything arrived ${settleMs.toFixed(0)} ms after the load ended`);
  assert.deepEqual(verdict.downstreamRejected, []);
  assert.equal(verdict.downstreamAcked, LOAD.downstream);
  assert.deepEqual(verdict.lostDownstream, []);
  assert.deepEqual(verdict.afterReceipt, [], 'no copy once the device ACK was stored');
  // A draining node waits for its devices' last ACKs before it ends their sessions: no device gets a message twice.
  assert.deepEqual(verdict.duplicateDownstream, []);
  assert.equal(verdict.upstreamAcked, LOAD.upstream);
  assert.deepEqual(verdict.lostUpstream, []);
  // The app server may get an upstream message or receipt again, on its new connection, when it had
  // not yet ACKed it on the drained one ("Flow Control": ACKs are valid on one connection only).
  // Counted above; not a loss.
  assert.deepEqual(verdict.unprinted, []);
  assert.deepEqual(verdict.printedTwice, []);
  assert.deepEqual(verdict.printerErrors, []);
  // A drained node answers what it took: no submit fails.
  assert.deepEqual(verdict.submitFailures, []);
  assert.equal(verdict.jobsSubmitted, LOAD.jobs);
  console.log(`# whole test ${(performance.now() - started).toFixed(0)} ms`);
});
