// kill -9 of the node holding 1,000 device sessions under load (issue 20).
// HAProxy's runtime API puts every session on node1 (950 CCS devices, 50
// printers, through the balancer) and the app server on another node; then,
// with downstream and upstream messages and job submits flowing, node1 is
// killed. Every device must be back through the balancer within 30 s, and:
// - every downstream message the app server got an ACK for reaches its
//   device; one reaches it a second time only if it first came on a session
//   the kill ended (the device's ACK died with the node), never once that ACK
//   was stored (the delivery receipt, written in
//   the same transaction, proves it). That is the CCS rule (001, "Message
//   Format": "If you don't send an ACK for a message, CCS will just resend
//   it"); the device tells the copy by its message_id;
// - every upstream message the server ACKed reaches the app server, exactly
//   once (the app server's connection was not on the killed node);
// - every job whose submit succeeded is announced to its printer (the
//   printers fetch only when pushed: after reconnecting, the missed
//   notification replayed on subscribe) and printed exactly once, and no job
//   is printed twice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { allOnline, appServer, clusterSessions, connectFleet, LOAD, seedFleet, stopLoad, Workload, type Fleet } from '../helpers/cluster-load.ts';
import type { CcsAppServer } from '../../src/ccs/sdk/appserver.ts';
import { waitFor } from '../helpers/wait.ts';

const SESSIONS = LOAD.devices + LOAD.printers;
let cluster: Cluster;
let fleet: Fleet | undefined;
let app: CcsAppServer | undefined;

before(async () => {
  cluster = await startCluster();
});

after(() => stopLoad(app, fleet, cluster));

test('kill -9 of the node holding 1,000 sessions under load: all back within 30 s, nothing acknowledged lost, no job printed twice', async () => {
  const started = performance.now();
  fleet = await seedFleet(cluster);
  const seededMs = performance.now() - started;
  const [holder, ...others] = cluster.nodes as [typeof cluster.nodes[0], ...typeof cluster.nodes];
  const { balancer } = cluster;
  for (const other of others) await balancer.setServerState('xmpps', other.name, 'maint');
  await balancer.setServerState('ccs', holder.name, 'maint');
  const connectMs = await connectFleet(fleet);
  app = appServer(cluster, fleet);
  await app.connect();
  assert.equal(await clusterSessions(cluster), SESSIONS);
  assert.equal(await cluster.nodeWithSessions(SESSIONS), holder, 'every session on the node to kill');
  assert.equal((await holder.status()).ccs.appServerConnections, 0, 'the app server on another node');
  for (const other of others) await balancer.setServerState('xmpps', other.name, 'ready');
  await balancer.setServerState('ccs', holder.name, 'ready');
  await waitFor('HAProxy sends to every node again', async () => Object.values(await balancer.serverStates()).every((state) => state === 'UP'));
  console.log(`# seeded ${LOAD.devices} CCS devices and ${LOAD.printers} printers in ${seededMs.toFixed(0)} ms; ${SESSIONS} sessions on ${holder.name} in ${connectMs.toFixed(0)} ms`);

  const workload = new Workload(cluster, fleet, app);
  workload.start(8000);
  await waitFor('a third of the load sent', () => workload.downstreamAcked.size >= LOAD.downstream / 3, 30_000, 20);
  const killedAt = performance.now();
  await holder.stop('SIGKILL');
  // Every device and printer was on the killed node: each must have opened a new session.
  const reconnected = () => fleet!.ccs.reconnects >= fleet!.ccs.size && fleet!.printers.sessionsOpened >= 2 * fleet!.printers.size;
  const backMs = await waitFor('every device back online', () => (reconnected() && allOnline(fleet!) ? performance.now() - killedAt : undefined), 30_000, 20);
  let held = 0;
  await waitFor('the survivors hold every session', async () => (held = await clusterSessions(cluster)) === SESSIONS, 10_000).catch((error: Error) => {
    throw new Error(`${error.message}: ${held} sessions`);
  });
  console.log(`# ${holder.name} killed: ${fleet.ccs.size} CCS devices and ${fleet.printers.size} printers back online through HAProxy after ${backMs.toFixed(0)} ms (${fleet.ccs.reconnects} device reconnects, ${fleet.ccs.failedAttempts} attempts failed${fleet.ccs.failureReasons.length ? `: ${fleet.ccs.failureReasons.join('; ')}` : ''})`);
  assert.ok(backMs < 30_000);

  const settleMs = await workload.settle(40_000);
  // Late copies would come right after the reconnects: give them a moment to show.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const verdict = workload.verdict();
  console.log(`# downstream: ${verdict.downstreamAcked} ACKed to the app server, all delivered, ${verdict.duplicateDownstream.length} delivered twice (ACK lost with the node), ${verdict.duplicateReceipts} receipts twice`);
  console.log(`# upstream: ${verdict.upstreamAcked} ACKed to devices, all received by the app server, ${verdict.duplicateUpstream.length} twice`);
  console.log(`# jobs: ${verdict.jobsSubmitted} submitted (${verdict.submitFailures.length} submits failed with the node), all printed once; everything arrived ${settleMs.toFixed(0)} ms after the load ended`);
  assert.equal(verdict.downstreamAcked + verdict.downstreamRejected.length, LOAD.downstream, 'every send answered');
  assert.deepEqual(verdict.downstreamRejected, []);
  assert.deepEqual(verdict.lostDownstream, []);
  assert.deepEqual(verdict.afterReceipt, [], 'no copy once the device ACK was stored');
  // A second copy only of what came on a session the kill ended: the ACK died with it.
  assert.deepEqual(verdict.duplicateDownstream.filter((id) => !fleet!.ccs.sessionLost(fleet!.ccs.deliveries.get(id)![0]!)), []);
  assert.equal(verdict.duplicateReceipts, 0);
  assert.equal(verdict.upstreamAcked, LOAD.upstream);
  assert.deepEqual(verdict.lostUpstream, []);
  assert.deepEqual(verdict.duplicateUpstream, []);
  assert.deepEqual(verdict.unprinted, []);
  assert.deepEqual(verdict.printedTwice, []);
  assert.deepEqual(verdict.printerErrors, []);
  assert.ok(verdict.jobsSubmitted >= LOAD.jobs * 0.8, `${verdict.jobsSubmitted} of ${LOAD.jobs} submits succeeded: ${verdict.submitFailures.slice(0, 3).join('; ')}`);
  console.log(`# whole test ${(performance.now() - started).toFixed(0)} ms`);
});
