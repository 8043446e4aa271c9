// Simulated devices for the cluster load tests (issue 20): CCS devices (the
// device SDK, src/ccs/sdk/device.ts) and printers (the push channel the
// printer runs, src/client/push-channel.ts, plus the REST calls a printer
// makes for a job). Each holds one XMPP session through the balancer and
// reconnects by itself when it loses it, as a real device does: the device
// SDK does not reconnect, so the fleet does, with a capped exponential
// backoff and jitter; the push channel has its own. Everything a device
// receives is recorded, so a test can tell what was lost or came twice.
import { Accounts } from '../../src/auth/accounts.ts';
import { Registrations } from '../../src/ccs/service/registrations.ts';
import { CcsDevice, CcsNackError, type UpstreamRequest } from '../../src/ccs/sdk/device.ts';
import { XmppChannel } from '../../src/client/push-channel.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore } from '../../src/store/db.ts';
import { cloudApi } from './cloud.ts';

/** A device account with a registration for one sender's app. */
export interface SeededDevice {
  jid: string;
  password: string;
  registrationId: string;
}

/** Writes `count` device accounts and registrations straight into the shared database (a thousand over HTTP would test registration, not the cluster). */
export async function seedCcsDevices(database: string, dataDir: string, domain: string, senderId: string, count: number): Promise<SeededDevice[]> {
  const store = await openStore({ database, dataDir, create: false, migrate: false });
  try {
    const accounts = new Accounts(store.db, { accessTokenTtlSeconds: 3600 });
    const registrations = new Registrations(store.db);
    const one = async (): Promise<SeededDevice> => {
      const account = await accounts.createDevice();
      const password = await accounts.issueApiToken(account.id);
      const registration = await registrations.register({ accountId: account.id, jidLocal: account.jid_local }, senderId, 'com.example.fleet');
      return { jid: `${account.jid_local}@${domain}`, password, registrationId: registration.registration_id };
    };
    const devices: SeededDevice[] = [];
    for (let i = 0; i < count; i += 10) devices.push(...(await Promise.all(Array.from({ length: Math.min(10, count - i) }, one))));
    return devices;
  } finally {
    await store.close();
  }
}

/** A device's reconnection delay: capped exponential backoff, each delay drawn from its upper half (jitter). */
function backoffMs(failures: number): number {
  const base = Math.min(8000, 500 * 2 ** failures);
  return base * (0.5 + Math.random() / 2);
}

/**
 * How long a device gives TCP, TLS, SASL and binding: the push channel's
 * limit (GCP §c dials with 60 s). A shorter one makes a busy node's
 * reconnection storm worse: each attempt given up is tried again while the
 * node still works on it.
 */
const NEGOTIATION_TIMEOUT_MS = 30_000;

export interface Delivery {
  at: number;
  /** `DEVICE:N`: the device's Nth session. */
  session: string;
}

interface FleetMember {
  index: number;
  /** Sessions opened so far. */
  sessions: number;
  sdk: CcsDevice;
  seeded: SeededDevice;
  connected: boolean;
  failures: number;
  /** Upstream messages the server has not ACKed yet: sent again on the next session (CCS "Flow Control"). */
  unacked: Map<string, UpstreamRequest>;
  timer?: NodeJS.Timeout;
}

export interface Endpoint {
  host: string;
  port: number;
  ca: string;
}

export class CcsFleet {
  /**
   * Downstream message → each copy: when it arrived (performance.now()) and
   * on which session. Keyed by the app server's id, which the sender puts in
   * `data.ref`: a device sees the server's own message_id, the one it ACKs.
   */
  readonly deliveries = new Map<string, Delivery[]>();
  /** Sessions (`Delivery.session`) that ended without the fleet closing them. */
  private readonly lostSessions = new Set<string>();
  /** Upstream message_ids the server ACKed. */
  readonly upstreamAcked = new Set<string>();
  /** Sessions lost and opened again. */
  reconnects = 0;
  /** Connection attempts that failed, and the first few reasons. */
  failedAttempts = 0;
  readonly failureReasons: string[] = [];
  private readonly members: FleetMember[];
  private stopped = false;

  constructor(
    private readonly endpoint: Endpoint,
    devices: readonly SeededDevice[],
  ) {
    this.members = devices.map((seeded, index) => {
      const sdk = new CcsDevice({ ...endpoint, jid: seeded.jid, password: seeded.password, timeoutMs: NEGOTIATION_TIMEOUT_MS });
      const member: FleetMember = { index, sessions: 0, sdk, seeded, connected: false, failures: 0, unacked: new Map() };
      sdk.on('message', (message) => {
        const ref = String(message.data?.ref ?? message.message_id);
        const copies = this.deliveries.get(ref) ?? [];
        copies.push({ at: performance.now(), session: `${index}:${member.sessions}` });
        this.deliveries.set(ref, copies);
      });
      sdk.on('close', () => {
        member.connected = false;
        if (this.stopped) return;
        this.lostSessions.add(`${index}:${member.sessions}`);
        this.schedule(member);
      });
      return member;
    });
  }

  get size(): number {
    return this.members.length;
  }

  get online(): number {
    return this.members.reduce((sum, member) => sum + (member.connected ? 1 : 0), 0);
  }

  /** Whether the server side ended the session a copy arrived on. */
  sessionLost(delivery: Delivery): boolean {
    return this.lostSessions.has(delivery.session);
  }

  registrationId(index: number): string {
    return this.members[index]!.seeded.registrationId;
  }

  /** Connects every device, `concurrency` at a time; resolves once all are online. */
  async connect(concurrency = 20): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < this.members.length) await this.open(this.members[next++]!, true);
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  private async open(member: FleetMember, first = false): Promise<void> {
    if (this.stopped || member.connected) return;
    try {
      await member.sdk.connect();
    } catch (error) {
      if (first) throw error;
      this.failedAttempts++;
      if (this.failureReasons.length < 5) this.failureReasons.push((error as Error).message);
      member.failures++;
      return this.schedule(member);
    }
    if (this.stopped) return member.sdk.close();
    if (!first) this.reconnects++;
    member.sessions++;
    member.connected = true;
    member.failures = 0;
    for (const request of member.unacked.values()) this.transmit(member, request);
  }

  private schedule(member: FleetMember): void {
    clearTimeout(member.timer);
    member.timer = setTimeout(() => void this.open(member), backoffMs(member.failures));
  }

  /** Device `index` sends an upstream message to the sender; it is sent again on every new session until the server ACKs it. */
  sendUpstream(index: number, senderId: string, messageId: string, data: Record<string, string>): void {
    const member = this.members[index]!;
    const request: UpstreamRequest = { to: `${senderId}@gcm.googleapis.com`, message_id: messageId, data };
    member.unacked.set(messageId, request);
    if (member.connected) this.transmit(member, request);
  }

  private transmit(member: FleetMember, request: UpstreamRequest): void {
    member.sdk.send(request).then(
      () => {
        member.unacked.delete(request.message_id);
        this.upstreamAcked.add(request.message_id);
      },
      (error: Error) => {
        // A retryable NACK is sent again a little later; a lost connection sends it again on the next session.
        if (error instanceof CcsNackError && !this.stopped) setTimeout(() => member.connected && member.unacked.has(request.message_id) && this.transmit(member, request), 200);
      },
    );
  }

  /** Upstream messages still waiting for the server's ACK. */
  get upstreamPending(): number {
    return this.members.reduce((sum, member) => sum + member.unacked.size, 0);
  }

  close(): void {
    this.stopped = true;
    for (const member of this.members) {
      clearTimeout(member.timer);
      member.sdk.close();
    }
  }
}

/** A claimed printer's robot: its printer id, XMPP JID and access token. */
export interface FleetPrinter {
  printerId: string;
  xmppJid: string;
  accessToken: string;
}

interface PrinterMember {
  printer: FleetPrinter;
  channel: XmppChannel;
  online: boolean;
  /** A fetch-and-print pass is running; `again`: a push came meanwhile. */
  busy: boolean;
  again: boolean;
}

/** Calls `attempt` until it gives a reply that is not a balancer or node failure (a 5xx or a dropped connection), at most `tries` times. */
async function retried<T extends { status: number }>(what: string, attempt: () => Promise<T>, tries = 40): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      const reply = await attempt();
      if (reply.status < 500) return reply;
      if (i >= tries) throw new Error(`${what}: HTTP ${reply.status}`);
    } catch (error) {
      if (i >= tries) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, backoffMs(Math.min(i, 3))));
  }
}

/**
 * Printers that only learn of jobs from the push channel: a push (or a
 * missed notification replayed when the channel subscribes again) starts a
 * fetch; each job fetched is set IN_PROGRESS, its document downloaded
 * ("printed", counted) and set DONE, through the balancer, retried while a
 * node is gone. They do not fetch on their own when they reconnect, so a
 * job whose announcement the cluster lost is never printed.
 */
export class PrinterFleet {
  /** Job id → times printed. */
  readonly printed = new Map<string, number>();
  /** Times a printer's channel came online (its first session included). */
  sessionsOpened = 0;
  /** Errors of fetch-and-print passes (a test expects none). */
  readonly errors: string[] = [];
  private readonly members: PrinterMember[];
  private readonly passes = new Set<Promise<void>>();

  constructor(
    private readonly cloud: { url: string },
    service: string,
    caPath: string,
    printers: readonly FleetPrinter[],
  ) {
    const log = silentLogger();
    this.members = printers.map((printer) => {
      const member = {} as PrinterMember;
      const channel = new XmppChannel({
        service,
        jid: printer.xmppJid,
        password: async () => printer.accessToken,
        ca: caPath,
        resource: 'fleet',
        pingIntervalSeconds: () => 300,
        log,
        onState: (state) => {
          member.online = state === 'online';
          if (member.online) this.sessionsOpened++;
        },
        onPush: (payload) => {
          if (payload === printer.printerId) this.work(member);
        },
      });
      Object.assign(member, { printer, channel, online: false, busy: false, again: false });
      return member;
    });
  }

  get size(): number {
    return this.members.length;
  }

  get online(): number {
    return this.members.reduce((sum, member) => sum + (member.online ? 1 : 0), 0);
  }

  start(): void {
    for (const member of this.members) member.channel.start();
  }

  private work(member: PrinterMember): void {
    if (member.busy) {
      member.again = true;
      return;
    }
    member.busy = true;
    const pass = (async () => {
      try {
        do {
          member.again = false;
          await this.fetchAndPrint(member.printer);
        } while (member.again);
      } catch (error) {
        this.errors.push(`${member.printer.printerId}: ${(error as Error).message}`);
      } finally {
        member.busy = false;
      }
    })();
    this.passes.add(pass);
    void pass.finally(() => this.passes.delete(pass));
  }

  private async fetchAndPrint(printer: FleetPrinter): Promise<void> {
    const auth = { token: printer.accessToken };
    const fetched = await retried('fetch', () => cloudApi(this.cloud, 'fetch', { printerid: printer.printerId }, auth));
    if (!fetched.body.success) {
      if (fetched.body.errorCode === 'NO_JOBS' || /No print job/.test(String(fetched.body.message))) return;
      throw new Error(`fetch: ${JSON.stringify(fetched.body)}`);
    }
    for (const job of fetched.body.jobs as Array<{ id: string; fileUrl: string }>) {
      const state = (type: string) => () => cloudApi(this.cloud, 'control', { jobid: job.id, semantic_state_diff: JSON.stringify({ state: { type } }) }, auth);
      await retried('control IN_PROGRESS', state('IN_PROGRESS'));
      const document = await retried('download', () => fetch(job.fileUrl, { headers: { authorization: `Bearer ${printer.accessToken}` } }).then(async (response) => ({ status: response.status, size: (await response.arrayBuffer()).byteLength })));
      if (document.status !== 200 || document.size === 0) throw new Error(`download of ${job.id}: HTTP ${document.status}`);
      this.printed.set(job.id, (this.printed.get(job.id) ?? 0) + 1);
      const done = await retried('control DONE', state('DONE'));
      if (!done.body.success) throw new Error(`control DONE of ${job.id}: ${JSON.stringify(done.body)}`);
    }
  }

  /** Stops every channel once the passes in progress have finished. */
  async stop(): Promise<void> {
    await Promise.all(this.passes);
    await Promise.all(this.members.map((member) => member.channel.stop()));
  }
}
