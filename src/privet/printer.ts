// One virtual Privet printer: ties the front panel, the job queue and print
// engine, the local API, DNS-SD and the cloud link together, and keeps the
// TXT record equal to /privet/info (Privet §2.2).
import { once } from 'node:events';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { CloudJob } from '../client/cloudprint-api.ts';
import { clearSpool, type JobProgress } from '../client/cloud-jobs.ts';
import type { Logger } from '../log.ts';
import { createPrivetServer, exposedApis, type PrivetDevice } from './api.ts';
import { CloudLink, type ConnectionState, type LinkedPrinter } from './cloud-link.ts';
import { Discovery, type PrivetTxt } from './discovery.ts';
import { PrintEngine } from './engine.ts';
import { DEFAULT_JOB_LIMITS, JobQueue, type JobQueueLimits, type JobRecord } from './jobs.ts';
import { systemClock } from './clock.ts';
import { DirectoryOutput, type OutputTarget } from './output.ts';
import { CupsOutput } from './cups-output.ts';
import { FrontPanel, type StopReason } from './panel.ts';
import { createPanelServer } from './panel-server.ts';
import { guardHttpServer, type HttpGuardOptions } from '../http/guard.ts';
import { DEFAULT_REGISTRATION_TIMEOUTS, LocalRegistration, type RegistrationTimeouts } from './registration.ts';
import type { LocalSettings } from './settings.ts';
import { StateFile } from './state.ts';
import { StateReporter } from './state-report.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { XsrfTokens } from './xsrf.ts';
import { convertingSource } from './convert.ts';
import { inspectorFor } from './validate.ts';
import { OUTPUT_BIN_CAPABILITY, printSettings, TicketError } from './ticket.ts';

export const MANUFACTURER = 'OpenCloudPrint';
export const MODEL = 'Virtual Privet Printer';
export const FIRMWARE = '0.1.0';

/** A printer serves a handful of LAN clients: a small per-address share, and 30 s of silence. */
export const DEFAULT_PRINTER_HTTP_GUARD: HttpGuardOptions = { idleTimeoutMs: 30_000, maxConnectionsPerAddress: 32 };
const OUTPUT_BINS = [
  { value: 'face-down', display_name: 'Face-down tray', is_default: true },
  { value: 'face-up', display_name: 'Face-up tray' },
];

export interface PrinterOptions {
  name: string;
  note?: string;
  cloudUrl: string;
  /** xmpps://host:port; default: the cloud's host on port 5223. */
  xmppUrl?: string;
  dataDir: string;
  /** Address the Privet API listens on (default: all, or the --interface address). */
  host?: string;
  port: number;
  panelPort: number;
  outputDir?: string;
  /** Print to this CUPS queue over IPP instead of the output directory. */
  cupsQueue?: string;
  /** host:port of cupsd. */
  cupsServer?: string;
  networkInterface?: string;
  autoConfirm?: boolean;
  ca?: string;
  /** Advertise over mDNS (tests of the HTTP API alone may turn it off). */
  mdns?: boolean;
  maxDocumentSize?: number;
  registrationTimeouts?: RegistrationTimeouts;
  jobLimits?: JobQueueLimits;
  dailyCheckMs?: [number, number];
  /** How long action=complete waits for the cloud claim (getauthcode polling). */
  claimWaitMs?: number;
  /** How long a cloud request waits for its answer, and a document download for its next byte. */
  cloudTimeoutMs?: number;
  /** Downloads tried per cloud job before it is ABORTED with DOWNLOAD_FAILURE. */
  downloadAttempts?: number;
  /** Wait before a cloud job's second download attempt, doubled before each further one. */
  downloadRetryDelayMs?: number;
  /** Idle timeout and per-address connection cap of the Privet API and the panel (default DEFAULT_PRINTER_HTTP_GUARD). */
  httpGuard?: HttpGuardOptions;
  /** Each page takes this long to print (0: a document prints as soon as it is received). */
  pageTimeMs?: number;
  /** Changes of the printer's state are gathered this long before they are reported to the cloud. */
  stateReportDelayMs?: number;
  log: Logger;
}

/** Well inside the 2 s in which a fault must reach the cloud (issue 16 item 8). */
export const DEFAULT_STATE_REPORT_DELAY_MS = 250;

export class Printer implements PrivetDevice, LinkedPrinter {
  readonly state: StateFile;
  readonly panel = new FrontPanel();
  readonly jobs: JobQueue;
  readonly engine: PrintEngine;
  readonly registration: LocalRegistration;
  readonly xsrf = new XsrfTokens();
  readonly cloud: CloudLink;
  readonly output: OutputTarget;
  readonly maxDocumentSize: number;
  private readonly discovery: Discovery;
  private readonly stateReporter: StateReporter;
  private readonly startedAt = Date.now();
  private privetServer: Server | undefined;
  private panelServer: Server | undefined;
  ports = { privet: 0, panel: 0 };

  constructor(readonly options: PrinterOptions) {
    this.state = new StateFile(options.dataDir);
    this.maxDocumentSize = options.maxDocumentSize ?? 1024 ** 3 * 2;
    this.output = options.cupsQueue
      ? new CupsOutput(options.cupsQueue, options.cupsServer ?? process.env.CUPS_SERVER ?? 'localhost:631', join(options.dataDir, 'cups-spool'))
      : new DirectoryOutput(options.outputDir ?? join(options.dataDir, 'output'));
    this.jobs = new JobQueue(systemClock, options.jobLimits ?? DEFAULT_JOB_LIMITS, this.state.state.history, (finished) =>
      this.state.update((state) => {
        state.history = finished;
      }),
    );
    this.engine = new PrintEngine(this.panel, this.jobs, this.output, options.pageTimeMs);
    // Registered before the registration's own listener: Cancel cancels the
    // printing job only when no registration prompt is showing.
    this.panel.on('cancel', () => {
      if (!this.registration.prompting) this.engine.cancelCurrent();
    });
    this.cloud = new CloudLink(this, {
      cloudUrl: options.cloudUrl,
      xmppUrl: options.xmppUrl ?? `xmpps://${new URL(options.cloudUrl).hostname}:5223`,
      ca: options.ca,
      log: options.log,
      dailyCheckMs: options.dailyCheckMs,
      claimPollMs: options.claimWaitMs,
      cloudJobs: {
        spoolDir: this.cloudSpoolDir,
        timeoutMs: options.cloudTimeoutMs,
        downloadAttempts: options.downloadAttempts,
        retryDelayMs: options.downloadRetryDelayMs,
        maxDocumentSize: this.maxDocumentSize,
      },
    });
    this.registration = new LocalRegistration(this.panel, this.cloud, options.registrationTimeouts ?? DEFAULT_REGISTRATION_TIMEOUTS, options.autoConfirm);
    this.discovery = new Discovery(options.log, options.networkInterface);
    this.stateReporter = new StateReporter(() => this.semanticState(), (cds) => this.cloud.reportSemanticState(cds), options.stateReportDelayMs ?? DEFAULT_STATE_REPORT_DELAY_MS);
    this.panel.on('change', () => this.stateChanged());
    this.engine.on('job', () => this.stateChanged());
  }

  get name(): string {
    return this.options.name;
  }

  /** Where cloud job documents wait between download and print. */
  private get cloudSpoolDir(): string {
    return join(this.options.dataDir, 'cloud-spool');
  }

  get note(): string | undefined {
    return this.options.note;
  }

  get registered(): boolean {
    return this.state.state.registration !== null;
  }

  get settings(): LocalSettings {
    return this.state.state.localSettings;
  }

  get connectionState(): ConnectionState {
    return this.cloud.connection;
  }

  stopReason(): StopReason | undefined {
    return this.panel.stopReason();
  }

  private deviceState(): 'idle' | 'processing' | 'stopped' {
    if (this.panel.stopReason()) return 'stopped';
    return this.engine.busy ? 'processing' : 'idle';
  }

  semanticState(): Record<string, unknown> {
    return { version: '1.0', printer: this.panel.semanticState(this.engine.busy) };
  }

  /** Privet §4.2.2. */
  info(): Record<string, unknown> {
    const base = this.cloud.api.apiUrl;
    return {
      version: '1.0',
      name: this.name,
      ...(this.note ? { description: this.note } : {}),
      url: base,
      type: ['printer'],
      id: this.state.state.registration?.printerId ?? '',
      device_state: this.deviceState(),
      connection_state: this.connectionState,
      manufacturer: MANUFACTURER,
      model: MODEL,
      serial_number: this.state.state.serial,
      firmware: FIRMWARE,
      uptime: Math.floor((Date.now() - this.startedAt) / 1000),
      setup_url: `${base}/setup`,
      support_url: `${base}/support`,
      update_url: `${base}/update-firmware`,
      'x-privet-token': this.xsrf.issue(),
      api: exposedApis(this),
      semantic_state: this.semanticState(),
    };
  }

  /** Privet §2.2: txtvers first, then ty, note (if set), url, type, id, cs — the same values as /privet/info. */
  txt(): PrivetTxt {
    const info = this.info();
    return {
      txtvers: '1',
      ty: this.name,
      ...(this.note ? { note: this.note } : {}),
      url: info.url as string,
      type: 'printer',
      id: info.id as string,
      cs: this.connectionState,
    };
  }

  // Privet §4.5: a CDD; "*/*" only when online with conversion printing enabled; PWG raster always.
  capabilities(offline: boolean): Record<string, unknown> {
    const types: Array<Record<string, string>> = [{ content_type: 'application/pdf', min_version: '1.4' }, { content_type: 'image/pwg-raster' }];
    if (!offline && this.connectionState === 'online' && this.settings['printer/conversion_printing_enabled']) types.push({ content_type: '*/*' });
    return {
      version: '1.0',
      printer: {
        supported_content_type: types,
        pwg_raster_config: {
          document_resolution_supported: [{ cross_feed_dir: 300, feed_dir: 300 }, { cross_feed_dir: 600, feed_dir: 600 }],
          document_type_supported: ['SGRAY_8', 'SRGB_8'],
          document_sheet_back: 'ROTATED',
        },
        color: { option: [{ type: 'STANDARD_MONOCHROME', is_default: true }, { type: 'STANDARD_COLOR' }] },
        duplex: { option: [{ type: 'NO_DUPLEX', is_default: true }, { type: 'LONG_EDGE' }, { type: 'SHORT_EDGE' }] },
        copies: { default: 1, max: 99 },
        dpi: { option: [{ horizontal_dpi: 300, vertical_dpi: 300, is_default: true }, { horizontal_dpi: 600, vertical_dpi: 600 }] },
        page_orientation: { option: [{ type: 'PORTRAIT', is_default: true }, { type: 'LANDSCAPE' }, { type: 'AUTO' }] },
        media_size: {
          option: [
            { name: 'ISO_A4', width_microns: 210000, height_microns: 297000, is_default: true },
            { name: 'NA_LETTER', width_microns: 215900, height_microns: 279400 },
          ],
        },
        input_tray_unit: [{ vendor_id: 'tray1', type: 'INPUT_TRAY_AUTO' }],
        output_bin_unit: OUTPUT_BINS.map(({ value, display_name }) => ({ vendor_id: value, type: 'OUTPUT_BIN', custom_display_name: display_name })),
        vendor_capability: [{ id: OUTPUT_BIN_CAPABILITY, display_name: 'Output bin', type: 'SELECT', select_cap: { option: OUTPUT_BINS } }],
        marker: [{ vendor_id: 'toner', type: 'TONER', color: { type: 'BLACK' } }],
        cover: [{ vendor_id: 'cover', type: 'DOOR' }],
        media_path: [{ vendor_id: 'path' }],
      },
    };
  }

  /** What the cloud may send: the native types, plus PostScript, which Ghostscript converts on the way in. */
  private cloudCapabilities(): Record<string, unknown> {
    const cdd = this.capabilities(true) as { printer: { supported_content_type: Array<Record<string, string>> } };
    cdd.printer.supported_content_type.push({ content_type: 'application/postscript' });
    return cdd;
  }

  /** B2 register fields (GCP §a). */
  registrationFields(): Record<string, string> {
    return {
      printer: this.name,
      name: this.name,
      default_display_name: this.name,
      ...(this.note ? { description: this.note } : {}),
      proxy: `privet-${this.state.state.serial}`,
      uuid: this.state.state.serial,
      manufacturer: MANUFACTURER,
      model: MODEL,
      gcp_version: '2.0',
      firmware: FIRMWARE,
      setup_url: `${this.cloud.api.apiUrl}/setup`,
      support_url: `${this.cloud.api.apiUrl}/support`,
      update_url: `${this.cloud.api.apiUrl}/update-firmware`,
      use_cdd: 'true',
      capabilities: JSON.stringify(this.cloudCapabilities()),
      semantic_state: JSON.stringify(this.semanticState()),
      notification_channel: 'XMPP_CHANNEL',
    };
  }

  async accessToken(user: string): Promise<Record<string, unknown>> {
    return this.cloud.proximityToken(user);
  }

  localJobFinished(job: JobRecord): void {
    void this.cloud
      .reportLocalJob(job)
      .then(() => this.output.writeSidecar(job))
      .catch((error: Error) => this.options.log.warn({ jobId: job.id, err: error.message }, 'finished local job not recorded'));
  }

  async printCloudJob(cloudJob: CloudJob, ticket: unknown, body: Readable, contentType: string, report: (progress: JobProgress) => void): Promise<JobProgress> {
    while (this.engine.busy) await once(this.engine, 'idle');
    const job = this.jobs.create(
      { state: { type: 'QUEUED' }, ticket, contentType, name: cloudJob.title, user: cloudJob.ownerId, serverJobId: cloudJob.id },
      'cloud',
    );
    const progress = (): JobProgress => ({ state: job.state, pagesPrinted: job.pagesPrinted });
    try {
      job.settings = printSettings(ticket, this.capabilities(true));
    } catch (error) {
      if (!(error instanceof TicketError)) throw error;
      body.destroy();
      this.jobs.finish(job, { type: 'ABORTED', device_action_cause: { error_code: 'INVALID_TICKET' } }, error.message);
      this.output.writeSidecar(job);
      return progress();
    }
    const source = convertingSource(body, contentType);
    if (!source) {
      body.destroy();
      this.jobs.finish(job, { type: 'ABORTED', service_action_cause: { error_code: 'CONVERSION_UNSUPPORTED_CONTENT_TYPE' } }, `cannot print ${contentType}`);
      this.output.writeSidecar(job);
      return progress();
    }
    job.contentType = source.contentType;
    const onJob = (changed: JobRecord) => changed === job && report(progress());
    this.engine.on('job', onJob);
    try {
      await this.engine.print({ job, source: source.stream, inspector: inspectorFor(source.contentType)!, maxSize: this.maxDocumentSize });
    } catch {
      // the job is ABORTED with its cause
    } finally {
      this.engine.off('job', onJob);
    }
    return progress();
  }

  connectionChanged(state: ConnectionState): void {
    this.announce();
    // The cloud may hold a state from before the disconnection (or from registration).
    if (state === 'online') this.stateReporter.resend();
  }

  private stateChanged(): void {
    this.announce();
    this.stateReporter.changed();
  }

  settingsChanged(): void {
    void this.applyLocalDiscovery();
    this.announce();
  }

  async resetToFactory(reason: string): Promise<void> {
    this.options.log.warn({ reason }, 'factory reset');
    this.registration.end();
    this.state.factoryReset();
    this.settingsChanged();
  }

  private announce(): void {
    this.discovery.update(this.txt());
  }

  view(): Record<string, unknown> {
    return {
      ...this.panel.state,
      device_state: this.deviceState(),
      connection_state: this.connectionState,
      prompt: this.panel.prompt ?? null,
      registered: this.registered,
      printer_id: this.state.state.registration?.printerId ?? null,
      printing: this.engine.current?.job.id ?? null,
    };
  }

  private privetHost(): string {
    if (this.options.host) return this.options.host;
    if (!this.options.networkInterface) return '0.0.0.0';
    const address = networkInterfaces()[this.options.networkInterface]?.find((a) => a.family === 'IPv4');
    if (!address) throw new Error(`interface ${this.options.networkInterface} has no IPv4 address`);
    return address.address;
  }

  /** Privet §4.1.1 local_discovery=false: no local API at all (not even /info) and no DNS-SD. */
  private async applyLocalDiscovery(): Promise<void> {
    if (this.settings.local_discovery) {
      if (!this.privetServer) {
        const server = createPrivetServer(this, this.options.log);
        guardHttpServer(server, this.options.httpGuard ?? DEFAULT_PRINTER_HTTP_GUARD);
        this.privetServer = server;
        server.listen(this.ports.privet || this.options.port, this.privetHost());
        await once(server, 'listening');
        this.ports.privet = (server.address() as AddressInfo).port;
        this.writePorts();
      }
      if (this.options.mdns !== false && !this.discovery.advertising) await this.discovery.start(this.name, this.ports.privet, this.txt());
    } else {
      await this.discovery.stop();
      const server = this.privetServer;
      this.privetServer = undefined;
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      this.options.log.info('local discovery disabled: Privet API and DNS-SD stopped');
    }
  }

  private writePorts(): void {
    writeFileAtomic(join(this.options.dataDir, 'ports.json'), JSON.stringify(this.ports, null, 2) + '\n', 0o644);
  }

  async start(): Promise<void> {
    const panel = createPanelServer(this, this.options.log);
    guardHttpServer(panel, this.options.httpGuard ?? DEFAULT_PRINTER_HTTP_GUARD);
    this.panelServer = panel;
    panel.listen(this.options.panelPort, '127.0.0.1');
    await once(panel, 'listening');
    this.ports.panel = (panel.address() as AddressInfo).port;
    if (this.options.autoConfirm) this.options.log.warn('--auto-confirm: registration requests are confirmed WITHOUT anyone pressing OK on the printer');
    clearSpool(this.cloudSpoolDir);
    // §4.1: check the local settings with the server before exposing any API.
    await this.cloud.start();
    await this.applyLocalDiscovery();
    this.writePorts();
    this.options.log.info({ ports: this.ports, registered: this.registered }, 'printer started');
  }

  async stop(): Promise<void> {
    this.stateReporter.stop();
    this.registration.end();
    this.engine.cancelCurrent();
    await this.cloud.stop();
    await this.discovery.stop();
    for (const server of [this.privetServer, this.panelServer]) {
      if (!server) continue;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.privetServer = undefined;
    this.panelServer = undefined;
  }
}
