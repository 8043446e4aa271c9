// submit, jobs, fetch, ticket, download, control, deletejob
// [GCP §a, §d; Privet §5.2 note on reporting local jobs].
import { Readable } from 'node:stream';
import { atLeast, requireRole, type Caller } from '../access.ts';
import { CloudError } from '../errors.ts';
import { stateFromLegacy } from '../job-states.ts';
import { addJob, changeJobState, deleteJob, getJob, jobView, newJobId, printJobState, queuedJobsOf, requireJobRole, visibleJobs } from '../jobs.ts';
import { checkTags } from '../printer-fields.ts';
import { getPrinter, waitingCauses, type PrinterRow } from '../printers.ts';
import { documentRoute, type CloudCall, type CloudResult, type CloudRoute, type DocumentCall } from '../route-table.ts';
import { notifyDevice, type CloudService } from '../service.ts';
import { conversionTarget, convertJob, documentToServe } from '../job-conversion.ts';
import { checkTicketFits, validatePrintJobState, validateStateDiff, validateTicket } from '../shapes.ts';
import { isFinal, type JobState } from '../../protocol/job-state.ts';
import { tooLarge, type Params } from '../params.ts';

/** type/subtype with optional parameters, in the characters an HTTP header allows (RFC 9110 §8.3.1). */
const MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+(\s*;[\x20-\x7e]*)?$/;

const EMPTY_TICKET = { version: '1.0', print: {} };

/** The printer a submit goes to, if the caller may print to it. */
async function printerToSubmitTo(service: CloudService, params: Params, caller: Caller): Promise<PrinterRow> {
  const printer = await getPrinter(service.db, params.require('printerid'));
  await requireRole(service.db, printer, caller, 'USER');
  return printer;
}

/**
 * Before the document: the usual field order puts printerid before content,
 * so an upload to a printer the caller cannot use is refused before it is stored.
 */
export async function checkSubmitPrinter(service: CloudService, params: Params, caller: Caller): Promise<PrinterRow | undefined> {
  return params.get('printerid') ? printerToSubmitTo(service, params, caller) : undefined;
}

export async function submitJob({ service, params, caller, document: upload, documentType, prepared }: DocumentCall<PrinterRow>): Promise<CloudResult> {
  const printer = prepared ?? (await printerToSubmitTo(service, params, caller));
  const title = params.require('title');
  const ticket = validateTicket(params.json('ticket') ?? EMPTY_TICKET);
  const capabilities = JSON.parse(printer.capabilities) as Record<string, unknown>;
  checkTicketFits(ticket, capabilities);
  const tags = JSON.stringify(checkTags(params.all('tag')));
  const common = { id: newJobId(), title, ticket: JSON.stringify(ticket), tags };

  const finalState = params.json('final_semantic_state');
  if (finalState !== undefined) {
    // Privet §5.2 note: a finished local job, reported for accounting; it must be final.
    const { state, pages_printed } = validatePrintJobState(finalState, 'final_semantic_state');
    if (!isFinal(state.type)) throw new CloudError('INVALID_STATE', `final_semantic_state must be DONE or ABORTED, got ${state.type}`);
    const pages = pages_printed ?? 0;
    const job = await addJob(service, printer, caller, {
      ...common, content_type: params.require('contentType'), document_path: null, document_size: 0, document_sha256: null,
      status: state.type, state: printJobState(state, pages), pages_printed: pages,
    });
    return { message: 'Print job added.', job };
  }

  const contentType = params.get('contentType') || documentType;
  if (!contentType) throw new CloudError('MISSING_PARAMETER', 'Missing parameter: contentType');
  if (contentType === 'url') throw new CloudError('UNSUPPORTED_CONTENT_TYPE', 'URL jobs are not supported; send the document as content');
  // It becomes the Content-Type header of every download of the job.
  if (!MEDIA_TYPE.test(contentType)) throw new CloudError('INVALID_PARAMETER', `Parameter contentType must be a media type such as application/pdf, got "${contentType}"`);
  const convertTo = conversionTarget(service, capabilities, contentType);
  const { maxDocumentSize } = service.config;
  let document = upload;
  if (!document) {
    const inline = params.get('content');
    if (inline === undefined) throw new CloudError('MISSING_PARAMETER', 'Missing parameter: content');
    const bytes = Buffer.from(inline, 'utf8');
    if (bytes.length > maxDocumentSize) throw tooLarge(maxDocumentSize);
    document = await service.documents.receive(Readable.from([bytes]));
  }
  // An upload over the limit is discarded by the route table.
  if (document.size > maxDocumentSize) throw tooLarge(maxDocumentSize);
  const received = document;
  // A document to convert keeps its job IN_PROGRESS, out of `fetch`, until it is (cloud/job-conversion.ts).
  const initial: JobState = { type: convertTo ? 'IN_PROGRESS' : 'QUEUED' };
  const job = await service.documents.commitFor(received, common.id, () =>
    addJob(service, printer, caller, {
      ...common, content_type: contentType, document_path: common.id, document_size: received.size, document_sha256: received.sha256,
      status: initial.type, state: printJobState(initial, 0), pages_printed: 0, converting_to: convertTo ?? null,
    }),
  );
  if (convertTo) convertJob(service, common.id);
  else await notifyDevice(service, printer, 'jobs');
  return { message: 'Print job added.', job };
}

export async function listJobs({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const { db } = service;
  let printer;
  const printerId = params.get('printerid');
  if (printerId) {
    const role = await requireRole(db, await getPrinter(db, printerId), caller, 'USER');
    printer = { id: printerId, all: atLeast(role, 'MANAGER') };
  }
  const offset = params.int('offset', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = params.int('limit', 100, 1, 1000);
  const { rows, total } = await visibleJobs(db, caller, { printer, owner: params.get('owner'), status: params.get('status'), q: params.get('q'), offset, limit });
  const base = service.publicUrl();
  // GCP 2.0 uiState: a queued job says why its printer holds it back.
  const waiting = await waitingCauses(db, [...new Set(rows.filter((row) => row.status === 'QUEUED').map((row) => row.printer_id))]);
  return { jobs: rows.map((row) => jobView(row, base, waiting.get(row.printer_id))), range: { jobsTotal: total, jobsCount: rows.length, offset } };
}

export async function fetchJobs({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const printer = await getPrinter(service.db, params.require('printerid'));
  await requireRole(service.db, printer, caller, 'OWNER');
  const rows = await queuedJobsOf(service.db).all({ printerId: printer.id });
  if (!rows.length) throw new CloudError('NO_JOBS', 'No print job available on specified printer.');
  const base = service.publicUrl();
  return { jobs: rows.map((row) => jobView(row, base)) };
}

export async function jobTicket({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const job = await getJob(service.db, params.require('jobid'));
  await requireJobRole(service.db, job, caller);
  return { raw: (reply) => reply.type('application/json; charset=utf-8').send(job.ticket) };
}

export async function downloadDocument({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const id = params.get('id') ?? params.get('jobid');
  if (!id) throw new CloudError('MISSING_PARAMETER', 'Missing parameter: id');
  const job = await getJob(service.db, id);
  await requireJobRole(service.db, job, caller);
  const document = await documentToServe(service, job, params.get('forcepwg') === '1');
  return {
    raw: (reply) =>
      reply
        .type(document.contentType)
        .header('content-length', document.size)
        .header('etag', document.etag)
        .header('content-disposition', 'attachment')
        .header('x-content-type-options', 'nosniff')
        .send(document.stream),
  };
}

export async function controlJob({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const { db } = service;
  const job = await getJob(db, params.require('jobid'));
  const role = await requireJobRole(db, job, caller);
  let state: JobState | undefined;
  let pages: number | undefined;
  if (params.has('semantic_state_diff')) {
    const diff = validateStateDiff(params.json('semantic_state_diff'));
    ({ state, pages_printed: pages } = diff);
  } else if (params.get('status')) {
    state = stateFromLegacy(params.require('status'));
  } else {
    throw new CloudError('MISSING_PARAMETER', 'Missing parameter: semantic_state_diff (or the legacy status)');
  }
  // A job's owner who does not manage the printer may only cancel it.
  if (role === 'USER' && !(state?.type === 'ABORTED' && state.user_action_cause?.action_code === 'CANCELLED' && pages === undefined)) {
    throw new CloudError('FORBIDDEN', 'You can only cancel your own job (ABORTED with user_action_cause CANCELLED)');
  }
  await changeJobState(service, job, state, pages);
  if (state?.type === 'QUEUED' && job.status !== 'QUEUED') {
    await notifyDevice(service, { id: job.printer_id, robot_jid_local: (await getPrinter(db, job.printer_id)).robot_jid_local }, 'jobs');
  }
  return { message: 'Print job updated successfully.' };
}

export async function deleteOneJob({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const job = await getJob(service.db, params.require('jobid'));
  await requireJobRole(service.db, job, caller);
  await deleteJob(service, job);
  return { message: 'Print job deleted successfully.' };
}

export function jobRoutes(service: CloudService): CloudRoute[] {
  return [
    documentRoute({
      path: 'submit',
      auth: 'required',
      proximity: true,
      document: true,
      summary: 'Queues a print job (multipart, document streamed to disk), or records a finished local job (final_semantic_state).',
      params: {
        printerid: { required: true, help: 'the printer' },
        title: { required: true, help: 'job title' },
        contentType: { help: 'MIME type of content (default: the part\'s Content-Type)' },
        ticket: { help: 'CJT JSON; must fit the printer\'s CDD' },
        content: { help: 'the document (a file part, or a text field)' },
        tag: { help: 'repeated job tags' },
        final_semantic_state: { help: 'PrintJobState JSON (DONE or ABORTED with a cause) of a finished local job; no content then' },
      },
      prepare: (params, caller) => checkSubmitPrinter(service, params, caller),
      handle: submitJob,
    }),
    {
      path: 'jobs',
      auth: 'required',
      proximity: true,
      summary: 'Jobs the caller may see: its own, or all of a printer it manages or is the device of.',
      params: {
        printerid: { help: 'only this printer\'s jobs' },
        owner: { help: 'only jobs of this email' },
        status: { help: 'QUEUED, IN_PROGRESS, DONE, ERROR, or a state type (HELD, STOPPED, ABORTED)' },
        q: { help: 'text in the title' },
        offset: { help: 'paging start (default 0)' },
        limit: { help: 'page size, 1–1000 (default 100)' },
      },
      handle: listJobs,
    },
    {
      path: 'fetch',
      auth: 'required',
      summary: 'The QUEUED jobs of a printer, oldest first; errorCode 413 when there are none.',
      params: { printerid: { required: true, help: 'the printer' }, deb: { help: 'ignored (Chrome\'s reason for fetching)' } },
      handle: fetchJobs,
    },
    {
      path: 'ticket',
      auth: 'required',
      proximity: true,
      summary: 'The raw CJT of a job (no envelope); errors come with a non-200 status.',
      params: { jobid: { required: true, help: 'the job' }, use_cjt: { help: 'accepted; tickets are always CJT' } },
      handle: jobTicket,
    },
    {
      path: 'download',
      auth: 'required',
      proximity: true,
      summary: 'The job\'s document (the fileUrl), streamed.',
      params: { id: { help: 'the job (jobid is accepted too)' }, forcepwg: { help: '1: the document as PWG raster (converted for the request unless it is one already)' } },
      handle: downloadDocument,
    },
    {
      path: 'control',
      auth: 'required',
      summary: 'Reports a job\'s progress: semantic_state_diff, or the legacy status=.',
      params: {
        jobid: { required: true, help: 'the job' },
        semantic_state_diff: { help: 'PrintJobStateDiff JSON {"state":{...},"pages_printed":n}' },
        status: { help: 'legacy: QUEUED, IN_PROGRESS, DONE or ERROR' },
      },
      handle: controlJob,
    },
    {
      path: 'deletejob',
      auth: 'required',
      proximity: true,
      summary: 'Deletes a job and its document.',
      params: { jobid: { required: true, help: 'the job' } },
      handle: deleteOneJob,
    },
  ];
}
