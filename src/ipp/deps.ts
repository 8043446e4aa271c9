// What the IPP service needs from the rest of the server, as a small
// interface: src/ipp/cloud-adapter.ts implements it over the cloud print
// service (the only file here that imports src/cloud and src/auth), so the
// IPP operations read as IPP and a restructured cloud changes one file.
import type { Readable } from 'node:stream';
import type { Logger } from '../log.ts';
import type { IppsListenerOptions } from './ipps-listener.ts';

/** Where printers live on both listeners: IPP_PATH + printer id. */
export const IPP_PATH = '/ipp/print/';

/** The printer tag by which its owner asks for it to be announced on the LAN (--ipp-advertise). */
export const ADVERTISE_TAG = 'ipp-advertise';

/** A signed-in user, as the cloud knows it (opaque here). */
export interface IppUser {
  id: string;
  email: string;
  /** What the cloud needs to decide access (its Caller). */
  readonly caller: unknown;
}

export interface IppPrinter {
  id: string;
  name: string;
  displayName: string;
  uuid: string | null;
  manufacturer: string | null;
  model: string | null;
  firmware: string | null;
  supportUrl: string | null;
  /** The CDD's `printer` section. */
  cdd: Record<string, unknown>;
  /** The CDS's `printer` section. */
  cds: Record<string, unknown>;
  /**
   * Whether its device is on the push channel now, on any node of a cluster
   * (the cloud's connectionStatus, GCP §a); undefined where the server
   * cannot see it (a device notified by FCM, a printer without a robot).
   */
  connected: boolean | undefined;
  createdAt: number;
  updatedAt: number;
}

/** CDD JobState [GCP §d]. */
export interface CloudJobState {
  type: string;
  user_action_cause?: { action_code: string };
  device_state_cause?: { error_code: string };
  device_action_cause?: { error_code: string };
  service_action_cause?: { error_code: string };
}

export interface IppJob {
  /** The cloud job id (a UUID). */
  id: string;
  printerId: string;
  ownerId: string;
  ownerEmail: string;
  title: string;
  contentType: string;
  state: CloudJobState;
  pagesPrinted: number;
  documentSize: number;
  createdAt: number;
  updatedAt: number;
  /** The CJT the job was submitted with. */
  ticket: Record<string, unknown>;
}

export interface NewJob {
  /** From newJobId(): chosen before the document arrives, so Create-Job can name the job. */
  id: string;
  title: string;
  contentType: string;
  ticket: Record<string, unknown>;
  document: Readable;
}

/** Why the cloud refused a job, in terms IPP has a status for. */
export class IppCloudError extends Error {
  constructor(
    readonly kind: 'not-found' | 'forbidden' | 'too-large' | 'format' | 'ticket' | 'conflict' | 'bad-request',
    message: string,
  ) {
    super(message);
  }
}

export interface IppCloud {
  /** HTTP Basic credentials: an account's email and password, or anything and an API/access token. */
  userByBasic(username: string, password: string, source: string): Promise<IppUser | undefined>;
  findPrinter(id: string): Promise<IppPrinter | undefined>;
  /** Whether the user may print to the printer (the same rule as /cloudprint/submit). */
  mayPrint(user: IppUser, printer: IppPrinter): Promise<boolean>;
  /** Whether the user manages the printer (sees and cancels everybody's jobs there). */
  mayManage(user: IppUser, printer: IppPrinter): Promise<boolean>;
  queuedJobs(printerId: string): Promise<number>;
  newJobId(): string;
  /** Streams the document into the document store and queues the job, as /cloudprint/submit does. */
  createJob(user: IppUser, printer: IppPrinter, job: NewJob): Promise<IppJob>;
  /** Whether a ticket fits the printer's CDD; throws IppCloudError('ticket') if not. */
  checkTicket(printer: IppPrinter, ticket: Record<string, unknown>): void;
  /** The printer's jobs, newest first; only `ownerId`'s when given. */
  jobsOf(printerId: string, options: { ownerId?: string; finished?: boolean; limit: number }): Promise<IppJob[]>;
  /** The printer's jobs whose id starts with one of `prefixes` (IPP job-ids are derived from them). */
  jobsByIdPrefix(printerId: string, prefixes: string[]): Promise<IppJob[]>;
  /** Claimed printers carrying `tag` (the owner's choice to advertise them on the LAN). */
  advertisedPrinters(tag: string): Promise<IppPrinter[]>;
  /** Moves a job to `state` through the cloud's job state machine (IppCloudError 'conflict' if it cannot go there). */
  setJobState(job: IppJob, state: CloudJobState): Promise<void>;
}

/** A Create-Job waiting for its Send-Document (RFC 8011 §4.2.4). */
export interface IppPendingJob {
  /** The job as IPP shows it meanwhile: pending, job-incoming. */
  job: IppJob;
  /** The Create-Job's document-format; undefined for application/octet-stream. */
  format: string | undefined;
  compression: string;
  /** Milliseconds; multiple-operation-time-out after Create-Job, when the job is aborted. */
  expiresAt: number;
}

/**
 * The pending Create-Jobs, shared by every node of a cluster (pending-jobs.ts,
 * in the store). `now` is the caller's clock: a job whose expiresAt is not
 * after it no longer exists.
 */
export interface IppPendingJobs {
  add(pending: IppPendingJob, now: number): Promise<void>;
  /** The printer's pending jobs, newest first; only `ownerId`'s when given. */
  of(printerId: string, now: number, ownerId?: string): Promise<IppPendingJob[]>;
  count(printerId: string, now: number): Promise<number>;
  /**
   * Send-Document: marks the job as receiving its document and returns it;
   * undefined if it expired, is gone or is receiving already (on any node):
   * one of concurrent claimers gets it. The row stays, listed as pending,
   * until finish().
   */
  claim(id: string, now: number): Promise<IppPendingJob | undefined>;
  /** After the claimed document was stored (or failed): removes the row; false if a cancel() removed it meanwhile. */
  finish(id: string): Promise<boolean>;
  /** Close-Job: removes a job still waiting for its document (not one receiving it) and returns it; undefined otherwise. */
  take(id: string, now: number): Promise<IppPendingJob | undefined>;
  /** Cancel-Job: removes the job, waiting or receiving its document; false if it expired or is gone. */
  cancel(id: string, now: number): Promise<boolean>;
}

export interface IppDeps {
  cloud: IppCloud;
  /** Create-Jobs waiting for their document. */
  pending: IppPendingJobs;
  log: Logger;
  /** Base URL of the HTTP port (the console lives there). */
  publicUrl(): string;
  tls: { cert: string; key: string };
  options: IppOptions;
}

export interface IppOptions {
  host: string;
  /** -1 = no IPPS listener, 0 = a free port. */
  ippsPort: number;
  /** The port clients reach the IPPS listener on (a load balancer's), for the ipps:// URIs answered on the HTTP port; 0 = the listener's own. */
  ippsPublicPort: number;
  /** The IPPS listener's trusted proxies and connection limits. */
  ippsConnections: Pick<IppsListenerOptions, 'proxyProtocol' | 'idleTimeoutMs' | 'maxConnectionsPerAddress'>;
  /** Accept HTTP Basic over plain HTTP from any address (otherwise from loopback only). */
  allowBasicOverHttp: boolean;
  /** Largest attribute section of a request, in bytes. */
  maxAttributesSize: number;
  /** Queued jobs a printer may have before Print-Job answers server-error-busy. */
  maxQueuedJobs: number;
  /** How long a Create-Job waits for its Send-Document, in seconds. */
  multipleOperationTimeout: number;
  maxDocumentSize: number;
  /** --ipp-advertise: DNS-SD on the LAN (advertise.ts). */
  advertise: { enabled: boolean; networkInterface: string | undefined; intervalSeconds: number };
}
