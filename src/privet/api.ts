// The Privet local HTTP API (Privet §4, §5). Plain node:http rather than a
// framework: submitdoc must stream a request body of any size straight to
// the print engine with TCP backpressure, and §4 prescribes the exact status
// line for a missing token ("HTTP/1.1 400 Missing X-Privet-Token header.").
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../log.ts';
import { PrivetError } from './errors.ts';
import { readSmallBody, sendJson } from './http-util.ts';
import { parseJson } from '../input-checks.ts';
import { isFinal, type JobQueue, type JobRecord } from './jobs.ts';
import { DocumentTooLarge, JobCancelled, type PrintEngine } from './engine.ts';
import { InvalidDocument, inspectorFor } from './validate.ts';
import type { LocalRegistration } from './registration.ts';
import type { LocalSettings } from './settings.ts';
import type { XsrfTokens } from './xsrf.ts';
import type { StopReason } from './panel.ts';
import { printSettings, TicketError } from './ticket.ts';

/** What the API needs from the printer. */
export interface PrivetDevice {
  readonly registered: boolean;
  readonly settings: LocalSettings;
  readonly xsrf: XsrfTokens;
  readonly registration: LocalRegistration;
  readonly jobs: JobQueue;
  readonly engine: PrintEngine;
  readonly maxDocumentSize: number;
  info(): Record<string, unknown>;
  capabilities(offline: boolean): Record<string, unknown>;
  accessToken(user: string): Promise<Record<string, unknown>>;
  stopReason(): StopReason | undefined;
  /** Called once a local job reached DONE or ABORTED (report to the cloud, §5.2). */
  localJobFinished(job: JobRecord): void;
}

type Query = URLSearchParams;
type Handler = (req: IncomingMessage, query: Query, res: ServerResponse) => Promise<unknown>;

interface Route {
  /** Privet §4.2.2 "api" list entry. */
  exposed: (device: PrivetDevice) => boolean;
  handler: Handler;
  /** §4: only /privet/info may have an empty token. */
  tokenOptional?: boolean;
}

/** §5.2: a busy printer proposes a retry timeout. */
const BUSY_RETRY_SECONDS = 15;
/** GCP §e: invalid_print_job carries timeout 5 ("random timeout period of up to 5 seconds"). */
const INVALID_JOB_RETRY_SECONDS = 5;
const LOCAL_PRINTING = 'printer/local_printing_enabled';

/** The API paths exposed right now (§4.2.2 api, §6.1 out-of-the-box defaults). */
export function exposedApis(device: PrivetDevice): string[] {
  return Object.entries(buildRoutes(device))
    .filter(([path, route]) => path !== '/privet/info' && route.exposed(device))
    .map(([path]) => path);
}

export function createPrivetServer(device: PrivetDevice, log: Logger): Server {
  const routes = buildRoutes(device);
  // No wall-clock bound on a whole request: submitdoc streams documents of any
  // size and pauses while the printer is stopped. A client that stops sending
  // is closed by the idle timeout the printer adds (guardHttpServer).
  const server = createServer({ requestTimeout: 0 }, (req, res) => {
    handle(device, routes, req, res).catch((error: Error) => {
      log.error({ err: error, url: req.url }, 'privet request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', description: 'internal error' });
      else res.destroy();
    });
  });
  return server;
}

async function handle(device: PrivetDevice, routes: Record<string, Route>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://privet');
  const route = routes[url.pathname];
  // §4: an API that does not exist or is not exposed right now is a 404.
  if (!route || !route.exposed(device) || (req.method !== 'GET' && req.method !== 'POST')) {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
    req.resume();
    return;
  }
  const token = req.headers['x-privet-token'];
  if (token === undefined) {
    res.statusCode = 400;
    res.statusMessage = 'Missing X-Privet-Token header.';
    res.setHeader('Content-Type', 'text/plain');
    res.end('Missing X-Privet-Token header.\n');
    req.resume();
    return;
  }
  try {
    // §4 and GCP §e: an empty or invalid token is the JSON error with HTTP 200,
    // the only answer on which real clients fetch a fresh token.
    if (!route.tokenOptional && !device.xsrf.isValid(Array.isArray(token) ? undefined : token)) {
      throw new PrivetError('invalid_x_privet_token', 'X-Privet-Token is missing, invalid or expired; get a new one from /privet/info');
    }
    const body = await route.handler(req, url.searchParams, res);
    if (!res.headersSent) sendJson(res, 200, body);
  } catch (error) {
    if (!(error instanceof PrivetError)) throw error;
    if (res.headersSent) return;
    // A request body we did not read is drained only if small; otherwise the connection closes (§5.2 note).
    const unread = !req.readableEnded && Number(req.headers['content-length'] ?? 0) > 1 << 20;
    sendJson(res, 200, error.body, unread ? { Connection: 'close' } : {});
    if (!req.readableEnded) req.resume();
  }
}

function buildRoutes(device: PrivetDevice): Record<string, Route> {
  const registered = () => device.registered;
  const localPrinting = () => device.registered && device.settings[LOCAL_PRINTING];
  return {
    '/privet/info': { exposed: () => true, tokenOptional: true, handler: async () => device.info() },
    // §4.3: hidden once registered.
    '/privet/register': {
      exposed: () => !device.registered,
      handler: (_req, query) => device.registration.handle(query.get('action') ?? undefined, query.get('user') ?? undefined),
    },
    '/privet/accesstoken': {
      exposed: () => device.registered && device.settings.access_token_enabled,
      handler: async (_req, query) => {
        const user = query.get('user');
        if (!user) throw new PrivetError('invalid_params', 'the user parameter is required');
        return device.accessToken(user);
      },
    },
    '/privet/capabilities': { exposed: registered, handler: async (_req, query) => device.capabilities(query.get('offline') === '1') },
    '/privet/printer/createjob': { exposed: localPrinting, handler: (req) => createJob(device, req) },
    '/privet/printer/submitdoc': { exposed: localPrinting, handler: (req, query) => submitDoc(device, req, query) },
    '/privet/printer/jobstate': { exposed: localPrinting, handler: async (_req, query) => jobState(device, query) },
  };
}

/**
 * A CJT nests four levels at most (print.vendor_ticket_item[].value); deeper
 * tickets are refused before parsing, as the printer's job record and its
 * report to the cloud could not be written (JSON.stringify recurses).
 */
const MAX_TICKET_DEPTH = 16;

/** §5.1: store the CJT ticket and hand out a job id. */
async function createJob(device: PrivetDevice, req: IncomingMessage): Promise<unknown> {
  let ticket: unknown;
  try {
    const text = (await readSmallBody(req)).toString('utf8');
    ticket = text.trim() ? parseJson(text, MAX_TICKET_DEPTH) : undefined;
  } catch (error) {
    throw new PrivetError('invalid_ticket', `the ticket is not valid CJT JSON: ${(error as Error).message}`);
  }
  if (ticket !== undefined && (typeof ticket !== 'object' || ticket === null || Array.isArray(ticket))) throw new PrivetError('invalid_ticket', 'the ticket must be a JSON object');
  let settings;
  try {
    settings = printSettings(ticket, device.capabilities(true));
  } catch (error) {
    if (error instanceof TicketError) throw new PrivetError('invalid_ticket', error.message);
    throw error;
  }
  const stop = device.stopReason();
  if (stop) throw new PrivetError('printer_error', stop.description);
  const job = device.jobs.create({ state: { type: 'DRAFT' }, ticket, settings });
  return { job_id: job.id, expires_in: device.jobs.expiresInSeconds(job) };
}

/** §5.2: stream the document into the print engine. */
async function submitDoc(device: PrivetDevice, req: IncomingMessage, query: Query): Promise<unknown> {
  const jobId = query.get('job_id');
  // GCP §e: Content-Length must be present and exact; chunked uploads are refused.
  const lengthHeader = req.headers['content-length'];
  if (lengthHeader === undefined || !/^\d+$/.test(lengthHeader)) throw new PrivetError('invalid_params', 'Content-Length is required');
  const length = Number(lengthHeader);
  if (length > device.maxDocumentSize) throw new PrivetError('document_too_large', `documents are limited to ${device.maxDocumentSize} bytes`);
  let job: JobRecord | undefined;
  if (jobId) {
    job = device.jobs.get(jobId);
    if (!job || job.origin !== 'local' || job.state.type !== 'DRAFT') throw new PrivetError('invalid_print_job', `job ${jobId} does not exist, has expired or was already submitted`, { timeout: INVALID_JOB_RETRY_SECONDS });
  }
  const stop = device.stopReason();
  if (stop) throw new PrivetError('printer_error', stop.description);
  // §5: "If there is a print job currently printing on the device … /submitdoc should return status busy".
  if (device.engine.busy) throw new PrivetError('printer_busy', 'the printer is printing another job', { timeout: BUSY_RETRY_SECONDS });
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const inspector = contentType ? inspectorFor(contentType) : undefined;
  // The job stays valid, so the client can resend it in another format (GCP §e).
  if (!inspector) throw new PrivetError('invalid_document_type', contentType ? `${contentType} is not supported; send application/pdf or image/pwg-raster` : 'Content-Type is required');
  job ??= device.jobs.create({ state: { type: 'DRAFT' }, settings: printSettings(undefined, device.capabilities(true)) });
  Object.assign(job, {
    contentType,
    size: length,
    name: query.get('job_name') ?? undefined,
    user: query.get('user_name') ?? undefined,
    client: query.get('client_name') ?? undefined,
  });
  try {
    await device.engine.print({ job, source: req, inspector, maxSize: length });
    if (job.size !== length) throw new PrivetError('invalid_params', 'the body is shorter than its Content-Length');
  } catch (error) {
    if (error instanceof PrivetError) throw error;
    if (error instanceof InvalidDocument) throw new PrivetError('invalid_document', error.message);
    if (error instanceof DocumentTooLarge) throw new PrivetError('invalid_params', 'the body is longer than its Content-Length');
    if (error instanceof JobCancelled) throw new PrivetError('user_cancel', 'printing was cancelled on the printer');
    throw new PrivetError('invalid_params', `the upload failed: ${(error as Error).message}`);
  } finally {
    if (isFinal(job)) device.localJobFinished(job);
  }
  return { job_id: job.id, expires_in: device.jobs.expiresInSeconds(job), job_type: job.contentType, job_size: job.size, job_name: job.name };
}

/** §5.3: lower-case state names, semantic_state in PrintJobState form. */
function jobState(device: PrivetDevice, query: Query): unknown {
  const id = query.get('job_id');
  const job = id ? device.jobs.get(id) : undefined;
  if (!job) throw new PrivetError('invalid_print_job', `job ${id ?? ''} does not exist or has expired`, { timeout: INVALID_JOB_RETRY_SECONDS });
  return {
    job_id: job.id,
    state: job.state.type.toLowerCase(),
    description: job.description,
    expires_in: device.jobs.expiresInSeconds(job),
    job_type: job.contentType,
    job_size: job.size,
    job_name: job.name,
    server_job_id: job.serverJobId,
    semantic_state: { version: '1.0', state: job.state, pages_printed: job.pagesPrinted },
  };
}
