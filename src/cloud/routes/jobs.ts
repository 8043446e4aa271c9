// submit, jobs, fetch, ticket, download, control, deletejob
// [GCP §a, §d; Privet §5.2 note on reporting local jobs].
import { Readable } from 'node:stream';
import { atLeast, requireRole, roleOn, type Caller, type Role } from '../access.ts';
import { CloudError } from '../errors.ts';
import { FINAL_STATES, stateFromLegacy } from '../job-states.ts';
import { changeJobState, deleteJob, getJob, insertJob, jobQuery, jobView, newJobId, printJobState, queuedJobsOf, type JobRow } from '../jobs.ts';
import { checkTags } from '../printer-fields.ts';
import { getPrinter, type PrinterRow } from '../printers.ts';
import type { CloudRoute } from '../route-table.ts';
import { notifyDevice, type CloudService } from '../service.ts';
import { conversionTarget, convertJob, documentToServe } from '../job-conversion.ts';
import { checkTicketFits, validatePrintJobState, validateStateDiff, validateTicket } from '../shapes.ts';
import type { JobState } from '../../protocol/job-state.ts';
import { tooLarge, type Params } from '../params.ts';
import type { ReceivedDocument } from '../documents.ts';
import type { JobsTable } from '../../store/tables/cloud.ts';
import { containsText } from '../text-search.ts';
import { isForeignKeyViolation } from '../../store/db.ts';

/** type/subtype with optional parameters, in the characters an HTTP header allows (RFC 9110 §8.3.1). */
const MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+(\s*;[\x20-\x7e]*)?$/;

const EMPTY_TICKET = { version: '1.0', print: {} };
const LEGACY_STATUS: Record<string, string[]> = { QUEUED: ['QUEUED', 'HELD', 'DRAFT'], IN_PROGRESS: ['IN_PROGRESS', 'STOPPED'], DONE: ['DONE'], ERROR: ['ABORTED'] };

export function jobRoutes(service: CloudService): CloudRoute[] {
  const { db } = service;

  /** The caller's standing on a job: its printer's device or manager, or the job's owner ('USER'). */
  async function jobRole(job: JobRow, caller: Caller): Promise<Role> {
    const role = await roleOn(db, { id: job.printer_id, owner_id: job.printer_owner_id, robot_id: job.printer_robot_id }, caller);
    if (atLeast(role, 'MANAGER')) return role!;
    // Owners keep their jobs even after the printer stops being shared with them (as in the `jobs` list).
    const { proximity } = caller;
    const ownJob = proximity ? job.proximity_token_hash === proximity.tokenHash : job.owner_id === caller.account.id;
    if (ownJob) return 'USER';
    throw new CloudError('JOB_NOT_FOUND', `Unknown job ${job.id}`);
  }

  async function addJob(printer: PrinterRow, caller: Caller, row: Omit<JobsTable, 'printer_id' | 'owner_id' | 'created_at' | 'updated_at' | 'proximity_token_hash' | 'converting_to'> & Partial<Pick<JobsTable, 'converting_to'>>) {
    const now = Date.now();
    const job: JobsTable = { converting_to: null, ...row, printer_id: printer.id, owner_id: caller.account.id, created_at: now, updated_at: now, proximity_token_hash: caller.proximity?.tokenHash ?? null };
    try {
      await insertJob(db, job);
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new CloudError('PRINTER_NOT_FOUND', `Printer ${printer.id} was deleted while the job was sent`);
      throw error;
    }
    return jobView({ ...job, owner_email: caller.account.email, printer_name: printer.name, printer_owner_id: printer.owner_id, printer_robot_id: printer.robot_id }, service.publicUrl());
  }

  /** Printers already checked for a submit's caller, so the check before the document and the handler make it once. */
  const checkedPrinters = new WeakMap<Params, PrinterRow>();

  async function printerToSubmitTo(params: Params, caller: Caller): Promise<PrinterRow> {
    let printer = checkedPrinters.get(params);
    if (!printer) {
      printer = await getPrinter(db, params.require('printerid'));
      await requireRole(db, printer, caller, 'USER');
      checkedPrinters.set(params, printer);
    }
    return printer;
  }

  async function submit(params: Params, caller: Caller, upload: ReceivedDocument | undefined, uploadType: string | undefined) {
    const printer = await printerToSubmitTo(params, caller);
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
      if (!(FINAL_STATES as readonly string[]).includes(state.type)) throw new CloudError('INVALID_STATE', `final_semantic_state must be DONE or ABORTED, got ${state.type}`);
      const pages = pages_printed ?? 0;
      const job = await addJob(printer, caller, {
        ...common, content_type: params.require('contentType'), document_path: null, document_size: 0, document_sha256: null,
        status: state.type, state: printJobState(state, pages), pages_printed: pages,
      });
      return { message: 'Print job added.', job };
    }

    const contentType = params.get('contentType') || uploadType;
    if (!contentType) throw new CloudError('MISSING_PARAMETER', 'Missing parameter: contentType');
    if (contentType === 'url') throw new CloudError('UNSUPPORTED_CONTENT_TYPE', 'URL jobs are not supported; send the document as content');
    // It becomes the Content-Type header of every download of the job.
    if (!MEDIA_TYPE.test(contentType)) throw new CloudError('INVALID_PARAMETER', `Parameter contentType must be a media type such as application/pdf, got "${contentType}"`);
    const convertTo = conversionTarget(service, capabilities, contentType);
    let document = upload;
    if (!document) {
      const inline = params.get('content');
      if (inline === undefined) throw new CloudError('MISSING_PARAMETER', 'Missing parameter: content');
      document = await service.documents.receive(Readable.from([Buffer.from(inline, 'utf8')]));
    }
    try {
      if (document.size > service.config.maxDocumentSize) throw tooLarge(service.config.maxDocumentSize);
      // The document is in place before the job row commits, and the reply
      // waits for both: an acknowledged job always has its document.
      await service.documents.commit(document, common.id);
    } catch (error) {
      await service.documents.discard(document);
      throw error;
    }
    let job;
    try {
      // A document to convert keeps its job IN_PROGRESS, out of `fetch`, until it is (cloud/job-conversion.ts).
      const initial: JobState = { type: convertTo ? 'IN_PROGRESS' : 'QUEUED' };
      job = await addJob(printer, caller, {
        ...common, content_type: contentType, document_path: common.id, document_size: document.size, document_sha256: document.sha256,
        status: initial.type, state: printJobState(initial, 0), pages_printed: 0, converting_to: convertTo ?? null,
      });
    } catch (error) {
      await service.documents.remove(common.id);
      throw error;
    }
    if (convertTo) convertJob(service, common.id);
    else await notifyDevice(service, printer, 'jobs');
    return { message: 'Print job added.', job };
  }

  async function listJobs(params: Params, caller: Caller) {
    let query = jobQuery(db);
    const printerId = params.get('printerid');
    if (printerId) {
      const printer = await getPrinter(db, printerId);
      const role = await requireRole(db, printer, caller, 'USER');
      query = query.where('jobs.printer_id', '=', printerId);
      if (!atLeast(role, 'MANAGER')) query = query.where('jobs.owner_id', '=', caller.account.id);
    } else if (caller.account.kind === 'robot') {
      query = query.where('printers.robot_id', '=', caller.account.id);
    } else {
      query = query.where('jobs.owner_id', '=', caller.account.id);
    }
    if (caller.proximity) query = query.where('jobs.proximity_token_hash', '=', caller.proximity.tokenHash);
    const owner = params.get('owner');
    if (owner) query = query.where('accounts.email', '=', owner.trim().toLowerCase());
    const status = params.get('status');
    if (status) query = query.where('jobs.status', 'in', LEGACY_STATUS[status.toUpperCase()] ?? [status.toUpperCase()]);
    const q = params.get('q');
    if (q) query = query.where(containsText('jobs.title', q));
    const offset = params.int('offset', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = params.int('limit', 100, 1, 1000);
    const total = await query.clearSelect().select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
    const rows = await query.orderBy('jobs.created_at', 'desc').orderBy('jobs.id', 'desc').offset(offset).limit(limit).execute();
    const base = service.publicUrl();
    return { jobs: rows.map((row) => jobView(row, base)), range: { jobsTotal: Number(total.count), jobsCount: rows.length, offset } };
  }

  return [
    {
      path: 'submit',
      methods: ['POST'],
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
      // The usual field order puts printerid before content: refuse an upload to a printer the caller cannot use before storing it.
      async beforeDocument(params, caller) {
        if (params.get('printerid')) await printerToSubmitTo(params, caller!);
      },
      handle: ({ params, caller, document, documentType }) => submit(params, caller!, document, documentType),
    },
    {
      path: 'jobs',
      methods: ['GET', 'POST'],
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
      handle: ({ params, caller }) => listJobs(params, caller!),
    },
    {
      path: 'fetch',
      methods: ['GET', 'POST'],
      auth: 'required',
      summary: 'The QUEUED jobs of a printer, oldest first; errorCode 413 when there are none.',
      params: { printerid: { required: true, help: 'the printer' }, deb: { help: 'ignored (Chrome\'s reason for fetching)' } },
      async handle({ params, caller }) {
        const printer = await getPrinter(db, params.require('printerid'));
        await requireRole(db, printer, caller!, 'OWNER');
        const rows = await queuedJobsOf(db).all({ printerId: printer.id });
        if (!rows.length) throw new CloudError('NO_JOBS', 'No print job available on specified printer.');
        const base = service.publicUrl();
        return { jobs: rows.map((row) => jobView(row, base)) };
      },
    },
    {
      path: 'ticket',
      methods: ['GET', 'POST'],
      auth: 'required',
      proximity: true,
      summary: 'The raw CJT of a job (no envelope); errors come with a non-200 status.',
      params: { jobid: { required: true, help: 'the job' }, use_cjt: { help: 'accepted; tickets are always CJT' } },
      async handle({ params, caller }) {
        const job = await getJob(db, params.require('jobid'));
        await jobRole(job, caller!);
        return { raw: (reply) => reply.type('application/json; charset=utf-8').send(job.ticket) };
      },
    },
    {
      path: 'download',
      methods: ['GET', 'POST'],
      auth: 'required',
      proximity: true,
      summary: 'The job\'s document (the fileUrl), streamed.',
      params: { id: { help: 'the job (jobid is accepted too)' }, forcepwg: { help: '1: the document as PWG raster (converted for the request unless it is one already)' } },
      async handle({ params, caller }) {
        const id = params.get('id') ?? params.get('jobid');
        if (!id) throw new CloudError('MISSING_PARAMETER', 'Missing parameter: id');
        const job = await getJob(db, id);
        await jobRole(job, caller!);
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
      },
    },
    {
      path: 'control',
      methods: ['GET', 'POST'],
      auth: 'required',
      summary: 'Reports a job\'s progress: semantic_state_diff, or the legacy status=.',
      params: {
        jobid: { required: true, help: 'the job' },
        semantic_state_diff: { help: 'PrintJobStateDiff JSON {"state":{...},"pages_printed":n}' },
        status: { help: 'legacy: QUEUED, IN_PROGRESS, DONE or ERROR' },
      },
      async handle({ params, caller }) {
        const job = await getJob(db, params.require('jobid'));
        const role = await jobRole(job, caller!);
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
        await changeJobState(db, job, state, pages);
        if (state?.type === 'QUEUED' && job.status !== 'QUEUED') {
          await notifyDevice(service, { id: job.printer_id, robot_jid_local: (await getPrinter(db, job.printer_id)).robot_jid_local }, 'jobs');
        }
        return { message: 'Print job updated successfully.' };
      },
    },
    {
      path: 'deletejob',
      methods: ['POST'],
      auth: 'required',
      proximity: true,
      summary: 'Deletes a job and its document.',
      params: { jobid: { required: true, help: 'the job' } },
      async handle({ params, caller }) {
        const job = await getJob(db, params.require('jobid'));
        await jobRole(job, caller!);
        await deleteJob(service, job);
        return { message: 'Print job deleted successfully.' };
      },
    },
  ];
}
