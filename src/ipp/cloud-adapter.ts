// The IppCloud contract (deps.ts) over the cloud print service: the one file
// of src/ipp that imports src/cloud and src/auth. Access is the cloud's own
// rule (roleOn: device, owner, share by email or public, as /cloudprint/submit
// and /cloudprint/jobs apply it); a job is stored with the same steps as
// /cloudprint/submit: ticket checked against the CDD, document streamed to a
// temporary file and renamed into place before the job row commits, then the
// device and the printer's watchers told.
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Account } from '../auth/accounts.ts';
import { atLeast, roleOn, type Caller } from '../cloud/access.ts';
import { CloudError } from '../cloud/errors.ts';
import { changeJobState, getJob, insertJob, jobQuery, newJobId, printJobState, type JobRow } from '../cloud/jobs.ts';
import { connectionStatus, findPrinter, type ConnectionStatus, type PrinterRow } from '../cloud/printers.ts';
import { notifyDevice, printerChanged, type CloudService } from '../cloud/service.ts';
import { acceptsContentType, checkTicketFits, validateTicket } from '../cloud/shapes.ts';
import { FINAL_STATES, type JobState } from '../protocol/job-state.ts';
import type { JobsTable } from '../store/tables/cloud.ts';
import { isForeignKeyViolation } from '../store/db.ts';
import { IppCloudError, type IppCloud, type IppJob, type IppPrinter, type IppUser, type NewJob } from './deps.ts';

/** Access and API tokens carry these prefixes (src/auth/accounts.ts TOKEN_PREFIX); anything else is a password. */
const TOKEN_PASSWORD = /^ocp[ak]_/;

type PrinterWithRow = IppPrinter & { readonly row: PrinterRow };

/**
 * IppPrinter.connected from the presence every node records for a robot
 * (src/cloud/push): a device that never connected is not connected. A
 * printer registered with its owner's credentials has no robot: whoever
 * holds the owner's session runs it, which the server cannot tell.
 */
const CONNECTED: Record<ConnectionStatus, boolean | undefined> = { ONLINE: true, OFFLINE: false, DORMANT: false, UNKNOWN: undefined };

function parseJson(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function printerOf(row: PrinterRow): PrinterWithRow {
  return {
    id: row.id,
    name: row.name,
    displayName: row.default_display_name ?? row.name,
    uuid: row.uuid,
    manufacturer: row.manufacturer,
    model: row.model,
    firmware: row.firmware,
    supportUrl: row.support_url,
    cdd: (parseJson(row.capabilities).printer ?? {}) as Record<string, unknown>,
    cds: (parseJson(row.semantic_state).printer ?? {}) as Record<string, unknown>,
    connected: row.robot_jid_local ? CONNECTED[connectionStatus(row)] : undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    row,
  };
}

function jobOf(row: JobRow): IppJob {
  const state = parseJson(row.state) as { state?: JobState };
  return {
    id: row.id,
    printerId: row.printer_id,
    ownerId: row.owner_id,
    ownerEmail: row.owner_email ?? '',
    title: row.title,
    contentType: row.content_type,
    state: state.state ?? { type: row.status as JobState['type'] },
    pagesPrinted: row.pages_printed,
    documentSize: row.document_size,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    ticket: parseJson(row.ticket),
  };
}

function userOf(account: Account): IppUser {
  const caller: Caller = { account };
  return { id: account.id, email: account.email ?? account.jid_local ?? account.id, caller };
}

/** Fails the stream once more than `limit` bytes went through. */
function byteLimit(limit: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(new IppCloudError('too-large', `The document is larger than the limit of ${limit} bytes`));
      else done(null, chunk);
    },
  });
}

/** A cloud error as the IPP layer's kind of refusal. */
function translate(error: unknown): unknown {
  if (!(error instanceof CloudError)) return error;
  switch (error.kind) {
    case 'PRINTER_NOT_FOUND':
    case 'JOB_NOT_FOUND':
      return new IppCloudError('not-found', error.message);
    case 'FORBIDDEN':
      return new IppCloudError('forbidden', error.message);
    case 'TICKET_NOT_SUPPORTED':
    case 'INVALID_TICKET':
      return new IppCloudError('ticket', error.message);
    case 'UNSUPPORTED_CONTENT_TYPE':
      return new IppCloudError('format', error.message);
    case 'ILLEGAL_TRANSITION':
      return new IppCloudError('conflict', error.message);
    default:
      return new IppCloudError('bad-request', error.message);
  }
}

export function cloudForIpp(service: CloudService): IppCloud {
  const { db } = service;
  const rowOf = (printer: IppPrinter) => (printer as PrinterWithRow).row;
  const callerOf = (user: IppUser) => user.caller as Caller;

  return {
    async userByBasic(username, password, source) {
      if (TOKEN_PASSWORD.test(password)) {
        const account = await service.accounts.authenticate(password);
        // CCS devices' tokens are for /ccs and XMPP only (as on /cloudprint).
        return account && account.kind !== 'device' ? userOf(account) : undefined;
      }
      try {
        const account = await service.accounts.checkPassword(username, password, source);
        return account ? userOf(account) : undefined;
      } catch {
        return undefined; // too many failed sign-ins: refused like a wrong password
      }
    },

    async findPrinter(id) {
      const row = await findPrinter(db, id);
      // An anonymous registration nobody claimed yet is nobody's printer.
      return row && row.owner_id ? printerOf(row) : undefined;
    },

    async mayPrint(user, printer) {
      return atLeast(await roleOn(db, rowOf(printer), callerOf(user)), 'USER');
    },

    async mayManage(user, printer) {
      return atLeast(await roleOn(db, rowOf(printer), callerOf(user)), 'MANAGER');
    },

    async queuedJobs(printerId) {
      const row = await db.selectFrom('jobs').select((eb) => eb.fn.countAll<number | string>().as('count')).where('printer_id', '=', printerId).where('status', '=', 'QUEUED').executeTakeFirstOrThrow();
      return Number(row.count);
    },

    newJobId,

    checkTicket(printer, ticket) {
      try {
        checkTicketFits(validateTicket(ticket), { printer: printer.cdd });
      } catch (error) {
        throw translate(error);
      }
    },

    async createJob(user, printer, job: NewJob) {
      const capabilities = { printer: printer.cdd };
      if (!acceptsContentType(capabilities, job.contentType)) throw new IppCloudError('format', `The printer does not accept ${job.contentType}`);
      this.checkTicket(printer, job.ticket);
      const limit = byteLimit(service.config.maxDocumentSize);
      // Both settle before the reply: a refused upload's temporary file is gone by then.
      const [received, piped] = await Promise.allSettled([service.documents.receive(limit), pipeline(job.document, limit)]);
      if (piped.status === 'rejected') {
        if (received.status === 'fulfilled') await service.documents.discard(received.value);
        throw piped.reason;
      }
      if (received.status === 'rejected') throw received.reason;
      const document = received.value;
      try {
        await service.documents.commit(document, job.id);
      } catch (error) {
        await service.documents.discard(document);
        throw error;
      }
      const now = Date.now();
      const queued: JobState = { type: 'QUEUED' };
      const row: JobsTable = {
        proximity_token_hash: null, converting_to: null,
        id: job.id, printer_id: printer.id, owner_id: user.id, title: job.title, content_type: job.contentType,
        ticket: JSON.stringify(job.ticket), tags: '[]', document_path: job.id, document_size: document.size, document_sha256: document.sha256,
        status: 'QUEUED', state: printJobState(queued, 0), pages_printed: 0, created_at: now, updated_at: now,
      };
      try {
        await insertJob(db, row);
      } catch (error) {
        await service.documents.remove(job.id);
        if (isForeignKeyViolation(error)) throw new IppCloudError('not-found', `Printer ${printer.id} was deleted while the job was sent`);
        throw error;
      }
      printerChanged(service, printer.id, 'jobs');
      await notifyDevice(service, rowOf(printer), 'jobs');
      return jobOf({ ...row, owner_email: user.email, printer_name: printer.name, printer_owner_id: rowOf(printer).owner_id, printer_robot_id: rowOf(printer).robot_id });
    },

    async jobsOf(printerId, options) {
      let query = jobQuery(db).where('jobs.printer_id', '=', printerId);
      if (options.ownerId) query = query.where('jobs.owner_id', '=', options.ownerId);
      if (options.finished !== undefined) query = query.where('jobs.status', options.finished ? 'in' : 'not in', [...FINAL_STATES]);
      const rows = await query.orderBy('jobs.created_at', 'desc').orderBy('jobs.id', 'desc').limit(options.limit).execute();
      return rows.map(jobOf);
    },

    async jobsByIdPrefix(printerId, prefixes) {
      const rows = await jobQuery(db)
        .where('jobs.printer_id', '=', printerId)
        .where((eb) => eb.or(prefixes.map((prefix) => eb('jobs.id', 'like', `${prefix}%`))))
        .orderBy('jobs.created_at', 'desc')
        .execute();
      return rows.map(jobOf);
    },

    async advertisedPrinters(tag) {
      // Tags are stored as a JSON array of strings: the quoted tag is an exact element.
      const rows = await db
        .selectFrom('printers')
        .select('id')
        .where('owner_id', 'is not', null)
        .where('tags', 'like', `%${JSON.stringify(tag)}%`)
        .execute();
      const printers: IppPrinter[] = [];
      for (const { id } of rows) {
        const row = await findPrinter(db, id);
        if (row) printers.push(printerOf(row));
      }
      return printers;
    },

    async setJobState(job, state) {
      try {
        await changeJobState(service, await getJob(db, job.id), state as JobState, undefined);
      } catch (error) {
        throw translate(error);
      }
    },
  };
}
