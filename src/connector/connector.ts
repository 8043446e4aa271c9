// The CUPS connector: puts every queue of a CUPS server into the cloud, as the
// original cloud-print-connector did [GCP §b1, §c, §d]:
// one robot account (from `createrobot`), printers registered, updated and
// deleted by queue name, one XMPP push channel for them all, and cloud jobs
// printed through IPP with their CUPS state reported back.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { AccessTokenSource, CloudPrintApi, type CloudJob } from '../client/cloudprint-api.ts';
import { clearSpool, CloudJobRunner, type JobProgress } from '../client/cloud-jobs.ts';
import { XmppChannel } from '../client/push-channel.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import type { Logger } from '../log.ts';
import { CupsClient, CupsError } from '../cups/client.ts';
import { capabilitiesOf, cloudJobStateOf, jobAttributesOf, semanticStateOf } from '../cups/translate.ts';
import { writeStatus, type ConnectorStatus } from './status.ts';

export const CONNECTOR_CLIENT_ID = 'ocp-connector';

/** What `ocp connector init` saves: the robot's identity (file mode 0600). */
export interface ConnectorIdentity {
  cloud: string;
  xmppJid: string;
  refreshToken: string;
  /** The proxy id: which cloud printers are this connector's [I#270: a UUID, unique per connector]. */
  proxy: string;
}

export function identityPath(dataDir: string): string {
  return join(dataDir, 'connector.json');
}

export function saveIdentity(dataDir: string, identity: ConnectorIdentity): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileAtomic(identityPath(dataDir), JSON.stringify(identity, null, 2) + '\n');
}

/** `createrobot` with a user's token, then the code exchange: a new connector identity. */
export async function createIdentity(userApi: CloudPrintApi, cloud: string): Promise<ConnectorIdentity> {
  const robot = await userApi.call<{ success: boolean; xmpp_jid: string; authorization_code: string }>('createrobot', { oauth_client_id: CONNECTOR_CLIENT_ID });
  const grant = await new CloudPrintApi({ cloudUrl: cloud, clientId: CONNECTOR_CLIENT_ID }).exchangeCode(robot.authorization_code);
  if (!grant.refresh_token) throw new Error('the server issued no refresh token for the robot');
  return { cloud, xmppJid: robot.xmpp_jid, refreshToken: grant.refresh_token, proxy: randomUUID() };
}

export interface ConnectorOptions {
  dataDir: string;
  /** CUPS server, host:port. */
  cups: string;
  /** xmpps://host:port; default: the cloud's host on port 5223. */
  xmppUrl?: string;
  /** PEM file of a CA to trust for the XMPP server, e.g. the server's DATA/tls/ca.pem. */
  caFile?: string;
  log: Logger;
  /** How often CUPS queues are compared with the cloud (the original: 1 min). */
  syncIntervalMs?: number;
  /** How often a printing job's CUPS state is polled (the original: 1 s). */
  jobPollMs?: number;
}

interface CloudPrinterEntry {
  id: string;
  name: string;
  capsHash?: string;
}

/** The first retry of a failed sync; each next one waits twice as long, up to the sync interval. */
const SYNC_RETRY_FIRST_MS = 1000;

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

export class Connector {
  private readonly identity: ConnectorIdentity;
  private readonly api: CloudPrintApi;
  private readonly cups: CupsClient;
  private readonly channel: XmppChannel;
  /** Cloud printer id → its queue and job runner. */
  private readonly printers = new Map<string, { queue: string; runner: CloudJobRunner }>();
  private syncTimer: NodeJS.Timeout | undefined;
  private syncing: Promise<boolean> | undefined;
  private stopped = false;

  constructor(private readonly options: ConnectorOptions) {
    const file = identityPath(options.dataDir);
    if (!existsSync(file)) throw new Error(`no connector identity in ${options.dataDir}: run \`ocp connector init\` first`);
    this.identity = JSON.parse(readFileSync(file, 'utf8')) as ConnectorIdentity;
    const tokens = new AccessTokenSource(() => this.api, this.identity.refreshToken, (refreshToken) => {
      this.identity.refreshToken = refreshToken;
      saveIdentity(options.dataDir, this.identity);
    });
    this.api = new CloudPrintApi({ cloudUrl: this.identity.cloud, clientId: CONNECTOR_CLIENT_ID, proxy: 'OpenCloudPrint CUPS Connector', accessToken: () => tokens.get() });
    this.cups = new CupsClient(options.cups);
    this.channel = new XmppChannel({
      service: options.xmppUrl ?? `xmpps://${new URL(this.identity.cloud).hostname}:5223`,
      jid: this.identity.xmppJid,
      password: () => tokens.get(),
      ca: options.caFile,
      resource: this.identity.proxy,
      pingIntervalSeconds: () => 120,
      log: options.log,
      onState: (state) => {
        options.log.info({ state }, 'connector push channel');
        // Missed notifications are not replayed by old servers: fetch after every (re)connect (§g lesson 1).
        if (state === 'online') for (const { runner } of this.printers.values()) void runner.fetchAndPrint();
      },
      onPush: (payload) => this.onPush(payload),
    });
  }

  /** Where cloud job documents wait between download and print. */
  private get spoolDir(): string {
    return join(this.options.dataDir, 'spool');
  }

  async start(): Promise<void> {
    clearSpool(this.spoolDir);
    let ok = await this.sync();
    this.channel.start();
    const every = this.options.syncIntervalMs ?? 60_000;
    // A failed sync (CUPS or the cloud unreachable) is tried again soon, backing off up to the sync interval.
    let retryMs = SYNC_RETRY_FIRST_MS;
    const loop = () => {
      const delay = ok ? every : Math.min(retryMs, every);
      retryMs = ok ? SYNC_RETRY_FIRST_MS : Math.min(retryMs * 2, every);
      this.syncTimer = setTimeout(() => {
        void this.sync().then((result) => {
          ok = result;
          if (!this.stopped) loop();
        });
      }, delay);
    };
    loop();
  }

  /** The cloud printer ids of the queues this connector serves, by queue name. */
  printerIds(): Map<string, string> {
    return new Map([...this.printers].map(([id, { queue }]) => [queue, id]));
  }

  private onPush(payload: string): void {
    const [printerId, event] = payload.split('/');
    if (!printerId || !this.printers.has(printerId)) return;
    if (!event) void this.printers.get(printerId)!.runner.fetchAndPrint();
    else if (event === 'delete') void this.sync();
  }

  /** Makes the cloud's printers of this proxy match the CUPS queues (register, update, delete); false if it failed. */
  sync(): Promise<boolean> {
    this.syncing ??= this.syncOnce()
      .then((queues) => {
        this.report(queues ? 'ok' : 'no-queues');
        return true;
      })
      .catch((error: Error) => {
        const unreachable = error instanceof CupsError;
        this.options.log.error({ err: error.message, cups: this.options.cups }, unreachable ? 'cannot read the CUPS queues: the cloud printers stay as they are; retrying' : 'connector sync failed; retrying');
        this.report(unreachable ? 'cups-unreachable' : 'cloud-error', error.message);
        return false;
      })
      .finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /** What `ocp connector status` shows (status.ts). */
  private report(state: ConnectorStatus['state'], error?: string): void {
    try {
      writeStatus(this.options.dataDir, { cups: this.options.cups, state, ...(error ? { error } : {}), printers: Object.fromEntries(this.printerIds()), checkedAt: Date.now() });
    } catch (failure) {
      this.options.log.warn({ err: (failure as Error).message }, 'cannot write the connector status file');
    }
  }

  /** Resolves with the number of CUPS queues served. */
  private async syncOnce(): Promise<number> {
    const queues = await this.cups.queues();
    if (!queues.length) this.options.log.warn({ cups: this.options.cups }, 'CUPS has no printer queues: nothing to put in the cloud (add one with lpadmin)');
    const listed = await this.api.list(this.identity.proxy);
    const cloudByName = new Map<string, CloudPrinterEntry>();
    for (const printer of listed.printers as CloudPrinterEntry[]) {
      // A duplicate name is deleted, as the original did.
      if (cloudByName.has(printer.name) || !queues.includes(printer.name)) await this.api.delete(printer.id);
      else cloudByName.set(printer.name, printer);
    }
    this.printers.clear();
    for (const queue of queues) {
      const attributes = await this.cups.printerAttributes(queue);
      const capabilities = capabilitiesOf(attributes);
      const fields = {
        name: queue,
        default_display_name: String(attributes['printer-info'] || queue),
        proxy: this.identity.proxy,
        uuid: String(attributes['printer-uuid'] ?? queue),
        manufacturer: String(attributes['printer-make-and-model'] ?? '').split(' ')[0] || 'CUPS',
        model: String(attributes['printer-make-and-model'] ?? 'CUPS queue'),
        gcp_version: '2.0',
        use_cdd: 'true',
        capabilities: JSON.stringify(capabilities),
        capsHash: hashOf(capabilities),
        semantic_state: JSON.stringify(semanticStateOf(attributes)),
        tag: [`__cp__printer-location=${String(attributes['printer-location'] ?? '')}`],
      };
      const existing = cloudByName.get(queue);
      let id: string;
      if (!existing) {
        const reply = await this.api.call<{ success: boolean; printers: Array<{ id: string }> }>('register', fields, { multipart: true });
        id = reply.printers[0]!.id;
        this.options.log.info({ queue, printerId: id }, 'registered CUPS queue');
      } else {
        id = existing.id;
        const { name: _name, proxy: _proxy, ...changed } = fields;
        if (existing.capsHash !== fields.capsHash) await this.api.update(id, changed);
        else await this.api.update(id, { semantic_state: fields.semantic_state });
      }
      this.printers.set(id, { queue, runner: new CloudJobRunner(this.api, id, (...args) => this.printJob(queue, ...args), this.options.log, { spoolDir: this.spoolDir }) });
    }
    return queues.length;
  }

  private async printJob(queue: string, job: CloudJob, ticket: unknown, document: Readable, contentType: string, report: (progress: JobProgress) => void): Promise<JobProgress> {
    const user = String(job.ownerId ?? 'cloud').split('@')[0]!;
    let cupsJob: number;
    try {
      cupsJob = await this.cups.printJob(queue, { title: job.title ?? job.id, user, format: contentType || 'application/octet-stream', attributes: jobAttributesOf(ticket) }, document);
    } catch (error) {
      this.options.log.warn({ queue, jobId: job.id, err: (error as Error).message }, 'CUPS refused the job');
      return { state: { type: 'ABORTED', device_action_cause: { error_code: 'PRINT_FAILURE' } } };
    }
    this.options.log.info({ queue, jobId: job.id, cupsJob }, 'job sent to CUPS');
    report({ state: { type: 'IN_PROGRESS' } });
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, this.options.jobPollMs ?? 1000));
      let progress: JobProgress;
      try {
        const state = await this.cups.jobState(queue, cupsJob);
        // CUPS counts impressions (sides printed) where the cloud counts pages; the original reported none (§d item 9).
        progress = { state: cloudJobStateOf(state.state), pagesPrinted: state.impressionsCompleted };
      } catch {
        return { state: { type: 'ABORTED', device_action_cause: { error_code: 'OTHER' } } };
      }
      const type = progress.state.type;
      if (type !== 'IN_PROGRESS' && type !== 'STOPPED') {
        this.options.log.info({ queue, jobId: job.id, cupsJob, state: type }, 'job finished in CUPS');
        return progress;
      }
      report(progress);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.syncTimer);
    await this.channel.stop();
  }
}
