// The load of the cluster failure tests (issue 20): 950 CCS devices and 50
// printers, each with one XMPP session through the balancer (1,000
// sessions), an app server sending downstream messages (with delivery
// receipts) while the devices send upstream messages, and a user submitting
// jobs to the printers, all through HAProxy, bounded in count and time. The
// ledger records what every side was told and what it received, and
// `verdict` checks that nothing acknowledged was lost and nothing came twice
// that the protocols do not allow.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Accounts } from '../../src/auth/accounts.ts';
import { CcsAppServer } from '../../src/ccs/sdk/appserver.ts';
import { Senders } from '../../src/ccs/service/senders.ts';
import { openStore } from '../../src/store/db.ts';
import type { Cluster } from './cluster.ts';
import { oauthToken, registerAndClaim, submitJob } from './cloud.ts';
import { CcsFleet, PrinterFleet, seedCcsDevices } from './device-fleet.ts';
import { waitFor } from './wait.ts';

export interface LoadSize {
  devices: number;
  printers: number;
  downstream: number;
  upstream: number;
  jobs: number;
}

export const LOAD: LoadSize = { devices: 950, printers: 50, downstream: 3000, upstream: 950, jobs: 100 };

export interface Fleet {
  sender: { sender_id: string; api_key: string };
  owner: { token: string };
  ccs: CcsFleet;
  printers: PrinterFleet;
  printerIds: string[];
}

/** Seeds the sender, the devices and the printers; nothing is connected yet. */
export async function seedFleet(cluster: Cluster, size: LoadSize = LOAD): Promise<Fleet> {
  const { sender, user } = await seedSenderAndUser(cluster);
  const owner = { ...user, email: '', id: '', password: '' };
  const claimed: Awaited<ReturnType<typeof registerAndClaim>>[] = [];
  for (let i = 0; i < size.printers; i += 20) {
    claimed.push(...(await Promise.all(Array.from({ length: Math.min(20, size.printers - i) }, (_, j) => registerAndClaim(cluster.balancer, owner, { name: `fleet-${i + j}` })))));
  }
  const domain = claimed[0]!.xmppJid.split('@')[1]!;
  const devices = await seedCcsDevices(cluster.database.url, cluster.nodes[0]!.dataDir, domain, sender.sender_id, size.devices);
  const ca = readFileSync(cluster.caPath, 'utf8');
  const ccs = new CcsFleet({ host: '127.0.0.1', port: cluster.balancer.xmpps, ca }, devices);
  const printers = new PrinterFleet(cluster.balancer, `xmpps://127.0.0.1:${cluster.balancer.xmpps}`, cluster.caPath, claimed.map((p) => ({ printerId: p.printerId, xmppJid: p.xmppJid, accessToken: p.accessToken })));
  return { sender, owner: user, ccs, printers, printerIds: claimed.map((p) => p.printerId) };
}

/** The app's sender and the printers' owner, written into the shared database (what `ocp sender create` and `ocp user add` do, without two CLI start-ups); the owner signs in through the balancer. */
async function seedSenderAndUser(cluster: Cluster): Promise<{ sender: Fleet['sender']; user: Fleet['owner'] }> {
  const email = `owner-${randomBytes(4).toString('hex')}@example.com`;
  const password = 'correct horse battery';
  const store = await openStore({ database: cluster.database.url, dataDir: cluster.nodes[0]!.dataDir, create: false, migrate: false });
  let sender: Fleet['sender'];
  try {
    sender = await new Senders(store.db).create('fleet app');
    await new Accounts(store.db, { accessTokenTtlSeconds: 3600 }).createUser(email, password);
  } finally {
    await store.close();
  }
  const signedIn = await oauthToken(cluster.balancer, { grant_type: 'password', username: email, password });
  if (signedIn.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(signedIn.body)}`);
  return { sender, user: { token: String(signedIn.body.access_token) } };
}

/** Connects every device and printer; resolves once all 1,000 are online. */
export async function connectFleet(fleet: Fleet): Promise<number> {
  const started = performance.now();
  fleet.printers.start();
  await fleet.ccs.connect();
  await waitFor('every printer online', () => fleet.printers.online === fleet.printers.size, 60_000, 50);
  return performance.now() - started;
}

export function allOnline(fleet: Fleet): boolean {
  return fleet.ccs.online === fleet.ccs.size && fleet.printers.online === fleet.printers.size;
}

/** XMPP sessions on every live node together. */
export async function clusterSessions(cluster: Cluster): Promise<number> {
  const live = cluster.nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null);
  const statuses = await Promise.all(live.map((node) => node.status()));
  return statuses.reduce((sum, status) => sum + Object.values(status.xmpp.sessions).reduce((a, b) => a + b, 0), 0);
}

export function appServer(cluster: Cluster, fleet: Fleet): CcsAppServer {
  return new CcsAppServer({ host: '127.0.0.1', port: cluster.balancer.ccs, ca: readFileSync(cluster.caPath, 'utf8'), senderId: fleet.sender.sender_id, apiKey: fleet.sender.api_key, maxRetries: 10, initialBackoffMs: 200 });
}

/** A load test's teardown: the app server, the fleet's devices and printers, then the cluster. */
export async function stopLoad(app: CcsAppServer | undefined, fleet: Fleet | undefined, cluster: Cluster | undefined): Promise<void> {
  app?.close();
  fleet?.ccs.close();
  await fleet?.printers.stop();
  await cluster?.stop();
}

/** Runs the load for `durationMs` and keeps the ledger. */
export class Workload {
  /** Downstream message ids the app server got an ACK for. */
  readonly downstreamAcked = new Set<string>();
  readonly downstreamRejected: string[] = [];
  /** Receipt (original message id) → when each copy arrived. */
  readonly receipts = new Map<string, number[]>();
  /** Upstream message id → copies the app server received. */
  readonly upstreamReceived = new Map<string, number>();
  /** Jobs whose submit succeeded, and submits that failed (a node gone mid-request). */
  readonly jobsSubmitted: string[] = [];
  readonly submitFailures: string[] = [];
  private sendsOutstanding = 0;
  private submitsOutstanding = 0;
  private generating: Promise<void> | undefined;
  private endsAt = 0;

  constructor(
    private readonly cluster: Cluster,
    private readonly fleet: Fleet,
    private readonly app: CcsAppServer,
    private readonly size: LoadSize = LOAD,
  ) {
    app.on('upstream', (message) => this.upstreamReceived.set(message.message_id, (this.upstreamReceived.get(message.message_id) ?? 0) + 1));
    app.on('receipt', (receipt) => {
      const copies = this.receipts.get(receipt.data.original_message_id) ?? [];
      copies.push(performance.now());
      this.receipts.set(receipt.data.original_message_id, copies);
    });
  }

  /** Starts sending: every count spread evenly over `durationMs` (or until `finishNow`). */
  start(durationMs: number): void {
    const started = performance.now();
    this.endsAt = started + durationMs;
    const sent = { downstream: 0, upstream: 0, jobs: 0 };
    const { ccs } = this.fleet;
    this.generating = new Promise((resolve) => {
      const tick = () => {
        const share = Math.min(1, (performance.now() - started) / Math.max(1, this.endsAt - started));
        for (; sent.downstream < Math.floor(share * this.size.downstream); sent.downstream++) this.sendDownstream(sent.downstream);
        for (; sent.upstream < Math.floor(share * this.size.upstream); sent.upstream++) {
          ccs.sendUpstream(sent.upstream % ccs.size, this.fleet.sender.sender_id, `u-${sent.upstream}`, { n: String(sent.upstream) });
        }
        // At most 8 uploads at once: the submits measure the cluster, not a queue of them.
        for (; sent.jobs < Math.floor(share * this.size.jobs) && this.submitsOutstanding < 8; sent.jobs++) this.submit(sent.jobs);
        if (share < 1 || sent.jobs < this.size.jobs) setTimeout(tick, 20);
        else resolve();
      };
      tick();
    });
  }

  /** Sends what is left of the load at once. */
  finishNow(): void {
    this.endsAt = performance.now();
  }

  private sendDownstream(n: number): void {
    const id = `d-${n}`;
    this.sendsOutstanding++;
    this.app
      .send({ to: this.fleet.ccs.registrationId(n % this.fleet.ccs.size), message_id: id, data: { ref: id }, delivery_receipt_requested: true })
      .then(
        () => void this.downstreamAcked.add(id),
        (error: Error) => void this.downstreamRejected.push(`${id}: ${error.message}`),
      )
      .finally(() => this.sendsOutstanding--);
  }

  private submit(n: number): void {
    this.submitsOutstanding++;
    const printerId = this.fleet.printerIds[n % this.fleet.printerIds.length]!;
    submitJob(this.cluster.balancer, this.fleet.owner.token, printerId, { title: `load ${n}`, content: `%PDF-1.4 load job ${n}` })
      .then(
        (reply) => {
          if (reply.body.success) this.jobsSubmitted.push(String(reply.body.job.id));
          else this.submitFailures.push(`HTTP ${reply.status} ${JSON.stringify(reply.body).slice(0, 200)}`);
        },
        (error: Error) => void this.submitFailures.push(error.message),
      )
      .finally(() => this.submitsOutstanding--);
  }

  /** Resolves once everything generated was answered and has arrived where it was going. */
  async settle(timeoutMs: number): Promise<number> {
    await this.generating;
    const started = performance.now();
    const { ccs, printers } = this.fleet;
    await waitFor('every message and job delivered', () => Object.values(this.missing()).every((count) => count === 0), timeoutMs, 50).catch((error: Error) => {
      throw new Error(`${error.message}: still missing ${JSON.stringify(this.missing())}`);
    });
    return performance.now() - started;
  }

  /** What has not arrived yet, by kind. */
  private missing(): Record<string, number> {
    const { ccs, printers } = this.fleet;
    const count = <T>(items: Iterable<T>, test: (item: T) => boolean) => [...items].filter(test).length;
    return {
      downstreamUnanswered: this.sendsOutstanding,
      submitsUnanswered: this.submitsOutstanding,
      upstreamUnacked: ccs.upstreamPending,
      downstreamUndelivered: count(this.downstreamAcked, (id) => !ccs.deliveries.has(id)),
      receiptsMissing: count(this.downstreamAcked, (id) => !this.receipts.has(id)),
      upstreamNotReceived: count(ccs.upstreamAcked, (id) => !this.upstreamReceived.has(id)),
      jobsUnprinted: count(this.jobsSubmitted, (id) => !printers.printed.has(id)),
    };
  }

  /** What was lost and what came twice. */
  verdict(): Verdict {
    const { ccs, printers } = this.fleet;
    const lostDownstream = [...this.downstreamAcked].filter((id) => !ccs.deliveries.has(id));
    const duplicateDownstream = [...ccs.deliveries].filter(([, copies]) => copies.length > 1).map(([id]) => id);
    // The device's ACK is stored (and the receipt queued) in one transaction: no copy may follow a receipt.
    const afterReceipt = [...ccs.deliveries].filter(([id, copies]) => {
      const receipt = this.receipts.get(id)?.[0];
      return receipt !== undefined && copies.some((copy) => copy.at > receipt);
    }).map(([id]) => id);
    const lostUpstream = [...ccs.upstreamAcked].filter((id) => !this.upstreamReceived.has(id));
    const duplicateUpstream = [...this.upstreamReceived].filter(([, copies]) => copies > 1).map(([id]) => id);
    const unprinted = this.jobsSubmitted.filter((id) => !printers.printed.has(id));
    const printedTwice = [...printers.printed].filter(([, times]) => times > 1).map(([id]) => id);
    return {
      downstreamAcked: this.downstreamAcked.size,
      downstreamRejected: this.downstreamRejected,
      lostDownstream,
      duplicateDownstream,
      afterReceipt,
      duplicateReceipts: [...this.receipts].filter(([, copies]) => copies.length > 1).length,
      upstreamAcked: ccs.upstreamAcked.size,
      lostUpstream,
      duplicateUpstream,
      jobsSubmitted: this.jobsSubmitted.length,
      submitFailures: this.submitFailures,
      unprinted,
      printedTwice,
      printerErrors: printers.errors,
    };
  }
}

export interface Verdict {
  downstreamAcked: number;
  downstreamRejected: string[];
  lostDownstream: string[];
  duplicateDownstream: string[];
  afterReceipt: string[];
  duplicateReceipts: number;
  upstreamAcked: number;
  lostUpstream: string[];
  duplicateUpstream: string[];
  jobsSubmitted: number;
  submitFailures: string[];
  unprinted: string[];
  printedTwice: string[];
  printerErrors: string[];
}
