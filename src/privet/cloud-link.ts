// The printer's side of the cloud (Privet §4.1, §6.1; GCP §b2, §c, §d):
// anonymous registration, local settings sync, the XMPP channel, cloud job
// printing, and reports of local jobs.
import { hostname } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { AccessTokenSource, CloudPrintApi, CloudPrintError } from '../client/cloudprint-api.ts';
import { CloudJobRunner, type CloudJobOptions, type PrintCloudJob } from '../client/cloud-jobs.ts';
import type { Logger } from '../log.ts';
import { PrivetError } from './errors.ts';
import type { ClaimTicket, Registrar } from './registration.ts';
import { applySettings, DEFAULT_LOCAL_SETTINGS } from './settings.ts';
import type { StateFile } from './state.ts';
import { XmppChannel, type ChannelState } from '../client/push-channel.ts';
import type { JobRecord } from './jobs.ts';

export type ConnectionState = 'online' | 'offline' | 'connecting' | 'not-configured';

/** What the cloud link needs from the printer. */
export interface LinkedPrinter {
  readonly name: string;
  readonly note: string | undefined;
  readonly state: StateFile;
  registrationFields(): Record<string, string>;
  semanticState(): Record<string, unknown>;
  /** Prints a downloaded cloud job; resolves when it is DONE or ABORTED. */
  printCloudJob: PrintCloudJob;
  /** Settings changed (registration, pending settings applied, reset). */
  settingsChanged(): void;
  connectionChanged(state: ConnectionState): void;
  /** The cloud deleted the printer, or its credentials stopped working (Privet §6.1). */
  resetToFactory(reason: string): Promise<void>;
}

export interface CloudLinkOptions {
  cloudUrl: string;
  /** xmpps://host:port of the push channel. */
  xmppUrl: string;
  ca?: string;
  log: Logger;
  /** Daily check window (Privet §6.1: "randomize the check window within 24-32 hour window"). */
  dailyCheckMs?: [number, number];
  /** How long `complete` polls getauthcode for the claim. */
  claimPollMs?: number;
  /** Spooling, stall timeout and retries of cloud job downloads; `timeoutMs` is also every cloud request's timeout. */
  cloudJobs: CloudJobOptions;
}

const DAY = 24 * 3600_000;
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

interface PendingRegistration {
  printerId: string;
  pollingUrl: string;
}

export class CloudLink implements Registrar {
  readonly api: CloudPrintApi;
  private tokens: AccessTokenSource | undefined;
  private channel: XmppChannel | undefined;
  private dailyTimer: NodeJS.Timeout | undefined;
  private pending: PendingRegistration | undefined;
  private jobs: CloudJobRunner | undefined;
  connection: ConnectionState = 'offline';

  constructor(
    private readonly printer: LinkedPrinter,
    private readonly options: CloudLinkOptions,
  ) {
    this.api = new CloudPrintApi({ cloudUrl: options.cloudUrl, proxy: `ocp-printer-${hostname()}`, accessToken: () => this.accessToken(), timeoutMs: options.cloudJobs.timeoutMs });
  }

  private get registration() {
    return this.printer.state.state.registration;
  }

  private async accessToken(): Promise<string | undefined> {
    return this.tokens?.get();
  }

  private setConnection(state: ConnectionState): void {
    if (this.connection === state) return;
    this.connection = state;
    this.printer.connectionChanged(state);
  }

  // --- Registrar: GCP §b2 ---

  async begin(user: string): Promise<ClaimTicket> {
    try {
      const reply = await this.api.register({
        ...this.printer.registrationFields(),
        user,
        // Privet §4.1.1: local_settings at registration, "current" only.
        local_settings: JSON.stringify({ current: DEFAULT_LOCAL_SETTINGS }),
      });
      // §4.3.3 device_config_error: with a clock this far off, tokens and certificates fail later.
      if (Math.abs(this.api.clockSkewMs) > MAX_CLOCK_SKEW_MS) {
        throw new PrivetError('device_config_error', `the printer's clock is ${Math.round(this.api.clockSkewMs / 60_000)} minutes behind the server's; set the date and time on the printer`);
      }
      const printerId = reply.printers[0]?.id;
      if (!printerId || !reply.polling_url || !reply.registration_token) throw new PrivetError('server_error', 'the /register reply lacks printer id, polling_url or token', { server_api: '/register' });
      this.pending = { printerId, pollingUrl: reply.polling_url };
      return { token: reply.registration_token, claimUrl: reply.complete_invite_url, automatedClaimUrl: reply.automated_invite_url };
    } catch (error) {
      throw asPrivetError(error);
    }
  }

  async complete(): Promise<string> {
    const pending = this.pending;
    if (!pending) throw new PrivetError('invalid_action', 'no registration in progress');
    try {
      const deadline = Date.now() + (this.options.claimPollMs ?? 30_000);
      let reply = await this.api.pollAuthCode(pending.pollingUrl);
      while (!reply && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        reply = await this.api.pollAuthCode(pending.pollingUrl);
      }
      if (!reply) throw new PrivetError('server_error', 'the printer has not been claimed yet', { server_api: '/getauthcode' });
      const grant = await this.api.exchangeCode(reply.authorization_code);
      if (!grant.refresh_token) throw new PrivetError('server_error', 'the code exchange returned no refresh token', { server_api: '/oauth2/token' });
      this.printer.state.update((state) => {
        state.registration = { printerId: pending.printerId, xmppJid: reply.xmpp_jid, refreshToken: grant.refresh_token!, owner: reply.user_email };
        state.localSettings = { ...DEFAULT_LOCAL_SETTINGS };
      });
      this.pending = undefined;
      this.options.log.info({ printerId: pending.printerId, owner: reply.user_email }, 'registered with the cloud');
      this.printer.settingsChanged();
      void this.start();
      return pending.printerId;
    } catch (error) {
      throw asPrivetError(error);
    }
  }

  // --- the registered device ---

  /** Privet §4.1.2 startup: check with /printer, then open the channel. */
  async start(): Promise<void> {
    const registration = this.registration;
    if (!registration) {
      this.setConnection(await this.reachable() ? 'online' : 'offline');
      return;
    }
    this.tokens = new AccessTokenSource(() => this.api, registration.refreshToken, (rotated) =>
      this.printer.state.update((state) => {
        if (state.registration) state.registration.refreshToken = rotated;
      }),
    );
    this.jobs = new CloudJobRunner(this.api, registration.printerId, (job, ticket, body, contentType, report) => this.printer.printCloudJob(job, ticket, body, contentType, report), this.options.log, this.options.cloudJobs);
    this.setConnection('connecting');
    await this.checkPrinter('startup');
    if (!this.registration) return;
    this.channel = new XmppChannel({
      service: this.options.xmppUrl,
      jid: registration.xmppJid,
      password: () => this.tokens!.get(),
      ca: this.options.ca,
      resource: `privet-${this.printer.state.state.serial.slice(0, 8)}`,
      pingIntervalSeconds: () => this.printer.state.state.localSettings.xmpp_timeout_value,
      log: this.options.log,
      onState: (state) => this.onChannelState(state),
      onPush: (payload) => void this.onPush(payload),
    });
    this.channel.start();
    this.scheduleDailyCheck();
  }

  private async reachable(): Promise<boolean> {
    try {
      await fetch(this.api.apiUrl, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
      return true;
    } catch {
      return false;
    }
  }

  private onChannelState(state: ChannelState): void {
    this.setConnection(state);
    if (state === 'online') {
      // Privet §4.1.3: on every (re)connect check the settings; GCP §g: and fetch.
      void this.checkPrinter('reconnect').then(() => this.fetchJobs());
    }
  }

  private async onPush(payload: string): Promise<void> {
    const registration = this.registration;
    if (!registration) return;
    const [printerId, kind = ''] = payload.split('/', 2) as [string, string?];
    if (printerId !== registration.printerId) return;
    this.options.log.info({ kind: kind || 'jobs' }, 'notification received');
    if (kind === '') await this.fetchJobs();
    else if (kind === 'update_settings' || kind === 'delete') await this.checkPrinter(kind);
  }

  private scheduleDailyCheck(): void {
    const [low, high] = this.options.dailyCheckMs ?? [DAY, (DAY * 32) / 24];
    clearTimeout(this.dailyTimer);
    this.dailyTimer = setTimeout(() => {
      void this.checkPrinter('daily').finally(() => this.registration && this.scheduleDailyCheck());
    }, low + Math.random() * (high - low));
    this.dailyTimer.unref();
  }

  /**
   * Privet §4.1.2–4.1.5: reads /printer; a reply without the printer means it
   * was deleted (reset); pending local settings are applied and confirmed
   * with /update. Offline, the last known settings stay (§4.1.4).
   */
  async checkPrinter(why: string): Promise<void> {
    const registration = this.registration;
    if (!registration) return;
    let printer;
    try {
      printer = await this.api.printer(registration.printerId);
    } catch (error) {
      if (isInvalidCredentials(error)) return this.reset('credentials no longer work');
      this.options.log.warn({ why, err: (error as Error).message }, 'cannot check the printer with the cloud; keeping the last known settings');
      if (why === 'startup') this.setConnection('offline');
      return;
    }
    if (!printer) return this.reset('the cloud no longer knows this printer');
    const pending = printer.local_settings?.pending;
    if (!pending) return;
    // The cloud shows `pending` equal to `current` while nothing waits: nothing to apply.
    if (isDeepStrictEqual(pending, printer.local_settings?.current)) return;
    const next = applySettings(this.printer.state.state.localSettings, pending);
    this.printer.state.update((state) => {
      state.localSettings = next;
    });
    this.options.log.info({ why, settings: next }, 'applied pending local settings');
    this.printer.settingsChanged();
    this.channel?.reschedulePing();
    try {
      // §4.1.3: confirm with /update local_settings, never with a "pending" section.
      await this.api.update(registration.printerId, { local_settings: JSON.stringify({ current: next }) });
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'cannot confirm the local settings');
    }
  }

  private async reset(reason: string): Promise<void> {
    this.options.log.warn({ reason }, 'returning to out-of-the-box mode');
    await this.stop();
    this.tokens = undefined;
    this.jobs = undefined;
    await this.printer.resetToFactory(reason);
    this.setConnection(await this.reachable() ? 'online' : 'offline');
  }

  /** GCP §d: a printer state change is pushed with /update semantic_state (see StateReporter). */
  async reportSemanticState(cds: Record<string, unknown>): Promise<void> {
    const registration = this.registration;
    if (!registration || !this.tokens) return;
    try {
      await this.api.update(registration.printerId, { semantic_state: JSON.stringify(cds) });
    } catch (error) {
      this.options.log.warn({ err: (error as Error).message }, 'cannot report the printer state to the cloud');
      throw error;
    }
  }

  // --- cloud jobs: GCP §d, run by the shared CloudJobRunner ---

  fetchJobs(): Promise<void> {
    return this.jobs?.fetchAndPrint() ?? Promise.resolve();
  }

  /** Privet §5.2 note: report a finished local job with /submit final_semantic_state. */
  async reportLocalJob(job: JobRecord): Promise<void> {
    const registration = this.registration;
    if (!registration) return;
    try {
      const reply = await this.api.submit({
        printerid: registration.printerId,
        title: job.name ?? `Local job ${job.id}`,
        contentType: job.contentType ?? 'application/octet-stream',
        ticket: job.ticket === undefined ? undefined : JSON.stringify(job.ticket),
        final_semantic_state: JSON.stringify({ version: '1.0', state: job.state, pages_printed: job.pagesPrinted }),
        tag: ['privet-local-job'],
      });
      if (reply.job?.id) job.serverJobId = reply.job.id;
    } catch (error) {
      this.options.log.warn({ jobId: job.id, err: (error as Error).message }, 'cannot report the local job to the cloud');
    }
  }

  /** Privet §4.4: /cloudprint/proximitytoken, passed through unchanged. */
  async proximityToken(user: string): Promise<Record<string, unknown>> {
    const registration = this.registration;
    if (!registration) throw new PrivetError('offline', 'the printer is not registered');
    try {
      const reply = await this.api.proximityToken(registration.printerId, user);
      if (!reply.proximity_token) throw new PrivetError('server_error', 'no proximity_token in the reply', { server_api: '/proximitytoken' });
      return reply.proximity_token;
    } catch (error) {
      // An explicit refusal by the server (not a failure of it) is access_denied (§4.4.3).
      if (error instanceof CloudPrintError && error.kind !== 'offline' && error.httpStatus !== undefined && error.httpStatus >= 400 && error.httpStatus < 500 && error.errorCode !== undefined) {
        throw new PrivetError('access_denied', error.message, { server_api: error.api, server_code: error.errorCode, server_http_code: error.httpStatus });
      }
      throw asPrivetError(error);
    }
  }

  async stop(): Promise<void> {
    clearTimeout(this.dailyTimer);
    const channel = this.channel;
    this.channel = undefined;
    await channel?.stop();
  }
}

function isInvalidCredentials(error: unknown): boolean {
  // RFC 6749 §5.2: a refused refresh token is invalid_grant with HTTP 400; a refused access token is 401/403.
  return error instanceof CloudPrintError && error.kind === 'http' && (error.api === '/oauth2/token' ? error.httpStatus === 400 : error.httpStatus === 401 || error.httpStatus === 403);
}

/** Maps a cloud failure to the Privet error a local client gets (§4.6). */
export function asPrivetError(error: unknown): PrivetError {
  if (error instanceof PrivetError) return error;
  if (error instanceof CloudPrintError) {
    if (error.kind === 'offline') return new PrivetError('offline', 'the printer cannot reach the cloud service');
    return new PrivetError('server_error', error.message, { server_api: error.api, server_code: error.errorCode, server_http_code: error.httpStatus });
  }
  return new PrivetError('server_error', (error as Error).message);
}
