// Print jobs: the rows, their JSON view [GCP §a `fetch`,
// `jobs`], state changes through the state machine, and deletion together
// with the document. Whatever changes a printer's jobs here says so to those
// watching it (printerChanged).
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import { preparedQuery } from '../store/prepared.ts';
import { CloudError } from './errors.ts';
import { checkTransition, legacyStatus } from './job-states.ts';
import { FINAL_STATES, isFinal, type JobState } from '../protocol/job-state.ts';
import { printerChanged, type CloudService } from './service.ts';
import type { JobsTable } from '../store/tables/cloud.ts';
import { isForeignKeyViolation } from '../store/db.ts';
import { atLeast, roleOn, type Caller, type Role } from './access.ts';
import type { PrinterRow } from './printers.ts';
import { containsText } from './text-search.ts';
import { jobUiState } from './ui-state.ts';

export type JobRow = JobsTable & { owner_email: string | null; printer_name: string; printer_owner_id: string | null; printer_robot_id: string | null };

export function newJobId(): string {
  return randomUUID();
}

export function printJobState(state: JobState, pagesPrinted: number): string {
  return JSON.stringify({ version: '1.0', state, pages_printed: pagesPrinted });
}

export function jobQuery(db: Db) {
  return db
    .selectFrom('jobs')
    .innerJoin('printers', 'printers.id', 'jobs.printer_id')
    .leftJoin('accounts', 'accounts.id', 'jobs.owner_id')
    .selectAll('jobs')
    .select(['accounts.email as owner_email', 'printers.name as printer_name', 'printers.owner_id as printer_owner_id', 'printers.robot_id as printer_robot_id']);
}

// The queries of a job's life (submit → fetch → control), prepared: they run for every job.
const jobById = preparedQuery<{ id: string }, JobRow>((db, param) => jobQuery(db).where('jobs.id', '=', param('id')));
const JOB_COLUMNS = ['id', 'printer_id', 'owner_id', 'title', 'content_type', 'ticket', 'document_path', 'document_size', 'document_sha256', 'status', 'state', 'pages_printed', 'tags', 'created_at', 'updated_at', 'proximity_token_hash', 'converting_to'] as const;
const insertJobRow = preparedQuery<JobsTable, never>((db, param) => db.insertInto('jobs').values(Object.fromEntries(JOB_COLUMNS.map((column) => [column, param(column)])) as unknown as JobsTable));
const updateJobState = preparedQuery<Pick<JobsTable, 'id' | 'status' | 'state' | 'pages_printed' | 'updated_at'> & { from: string }, never>((db, param) =>
  db
    .updateTable('jobs')
    .set({ status: param('status'), state: param('state'), pages_printed: param('pages_printed'), updated_at: param('updated_at') })
    .where('id', '=', param('id'))
    .where('status', '=', param('from')),
);
/** The most jobs one `fetch` returns. */
const FETCH_LIMIT = 100;
export const queuedJobsOf = preparedQuery<{ printerId: string }, JobRow>((db, param) =>
  jobQuery(db).where('jobs.printer_id', '=', param('printerId')).where('jobs.status', '=', 'QUEUED').orderBy('jobs.created_at').orderBy('jobs.id').limit(sql.lit(FETCH_LIMIT)),
);

export async function insertJob(db: Db, job: Omit<JobsTable, 'converting_to'> & Partial<Pick<JobsTable, 'converting_to'>>): Promise<void> {
  await insertJobRow(db).run({ converting_to: null, ...job });
}

/** The ids of jobs whose document the cloud is converting (IN_PROGRESS meanwhile, not fetched by the printer). */
export async function jobsAwaitingConversion(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('jobs').select('id').where('status', '=', 'IN_PROGRESS').where('converting_to', 'is not', null).orderBy('created_at').execute();
  return rows.map((row) => row.id);
}

/**
 * The converted document replaces the submitted one and the job is QUEUED
 * for its printer [GCP §d]; false when the job no longer waits for it
 * (cancelled, expired or deleted meanwhile, or converted by another node).
 */
export async function finishConversion(db: Db, id: string, document: Pick<JobsTable, 'content_type' | 'document_path' | 'document_size' | 'document_sha256'>): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ ...document, converting_to: null, status: 'QUEUED', state: printJobState({ type: 'QUEUED' }, 0), updated_at: Date.now() })
    .where('id', '=', id)
    .where('status', '=', 'IN_PROGRESS')
    .where('converting_to', 'is not', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A document that cannot be converted ends its job ABORTED with the service_action_cause that says why [GCP §d]. */
export async function abortConversion(db: Db, id: string, cause: NonNullable<JobState['service_action_cause']>['error_code']): Promise<boolean> {
  const aborted: JobState = { type: 'ABORTED', service_action_cause: { error_code: cause } };
  const result = await db
    .updateTable('jobs')
    .set({ converting_to: null, status: 'ABORTED', state: printJobState(aborted, 0), updated_at: Date.now() })
    .where('id', '=', id)
    .where('status', '=', 'IN_PROGRESS')
    .where('converting_to', 'is not', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function getJob(db: Db, id: string): Promise<JobRow> {
  const job = await jobById(db).first({ id });
  if (!job) throw new CloudError('JOB_NOT_FOUND', `Unknown job ${id}`);
  return job;
}

/** The caller's standing on a job: its printer's device or manager, or the job's owner ('USER'). */
export async function requireJobRole(db: Db, job: JobRow, caller: Caller): Promise<Role> {
  const role = await roleOn(db, { id: job.printer_id, owner_id: job.printer_owner_id, robot_id: job.printer_robot_id }, caller);
  if (atLeast(role, 'MANAGER')) return role!;
  // Owners keep their jobs even after the printer stops being shared with them (as in the `jobs` list).
  const { proximity } = caller;
  const ownJob = proximity ? job.proximity_token_hash === proximity.tokenHash : job.owner_id === caller.account.id;
  if (ownJob) return 'USER';
  throw new CloudError('JOB_NOT_FOUND', `Unknown job ${job.id}`);
}

export type NewJob = Omit<JobsTable, 'printer_id' | 'owner_id' | 'created_at' | 'updated_at' | 'proximity_token_hash' | 'converting_to'> & Partial<Pick<JobsTable, 'converting_to'>>;

/** Inserts the caller's job on `printer` and returns its view. */
export async function addJob(service: CloudService, printer: PrinterRow, caller: Caller, row: NewJob): Promise<Record<string, unknown>> {
  const now = Date.now();
  const job: JobsTable = { converting_to: null, ...row, printer_id: printer.id, owner_id: caller.account.id, created_at: now, updated_at: now, proximity_token_hash: caller.proximity?.tokenHash ?? null };
  try {
    await insertJob(service.db, job);
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new CloudError('PRINTER_NOT_FOUND', `Printer ${printer.id} was deleted while the job was sent`);
    throw error;
  }
  printerChanged(service, printer.id, 'jobs');
  return jobView({ ...job, owner_email: caller.account.email, printer_name: printer.name, printer_owner_id: printer.owner_id, printer_robot_id: printer.robot_id }, service.publicUrl());
}

const LEGACY_STATUS: Record<string, string[]> = { QUEUED: ['QUEUED', 'HELD', 'DRAFT'], IN_PROGRESS: ['IN_PROGRESS', 'STOPPED'], DONE: ['DONE'], ERROR: ['ABORTED'] };

export interface JobListFilter {
  /** Only this printer's jobs: all of them (`all`, for its managers), or else the caller's own. */
  printer?: { id: string; all: boolean };
  /** The owner's email. */
  owner?: string;
  /** A legacy status (QUEUED, IN_PROGRESS, DONE, ERROR) or a state type. */
  status?: string;
  /** Text in the title. */
  q?: string;
  offset: number;
  limit: number;
}

/** One page of the jobs a caller sees in `jobs`, newest first, and how many there are in all. */
export async function visibleJobs(db: Db, caller: Caller, filter: JobListFilter): Promise<{ rows: JobRow[]; total: number }> {
  let query = jobQuery(db);
  if (filter.printer) {
    query = query.where('jobs.printer_id', '=', filter.printer.id);
    if (!filter.printer.all) query = query.where('jobs.owner_id', '=', caller.account.id);
  } else if (caller.account.kind === 'robot') {
    query = query.where('printers.robot_id', '=', caller.account.id);
  } else {
    query = query.where('jobs.owner_id', '=', caller.account.id);
  }
  if (caller.proximity) query = query.where('jobs.proximity_token_hash', '=', caller.proximity.tokenHash);
  const { owner, status, q } = filter;
  if (owner) query = query.where('accounts.email', '=', owner.trim().toLowerCase());
  if (status) query = query.where('jobs.status', 'in', LEGACY_STATUS[status.toUpperCase()] ?? [status.toUpperCase()]);
  if (q) query = query.where(containsText('jobs.title', q));
  const total = await query.clearSelect().select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
  const rows = await query.orderBy('jobs.created_at', 'desc').orderBy('jobs.id', 'desc').offset(filter.offset).limit(filter.limit).execute();
  return { rows, total: Number(total.count) };
}

/** A job as the API shows it; `waitingFor`: why its printer holds it back, if it is QUEUED there (waitingCauses). */
export function jobView(job: JobRow, base: string, waitingFor?: string): Record<string, unknown> {
  const semanticState = JSON.parse(job.state) as { state: JobState };
  return {
    id: job.id,
    printerid: job.printer_id,
    printerName: job.printer_name,
    title: job.title,
    contentType: job.content_type,
    fileUrl: job.document_path ? `${base}/cloudprint/download?id=${job.id}` : '',
    ticketUrl: `${base}/cloudprint/ticket?jobid=${job.id}&use_cjt=true`,
    ownerId: job.owner_email ?? '',
    createTime: String(job.created_at),
    updateTime: String(job.updated_at),
    status: legacyStatus(job.status),
    semanticState,
    uiState: jobUiState(semanticState.state, job.pages_printed, waitingFor),
    numberOfPages: job.pages_printed,
    tags: JSON.parse(job.tags) as string[],
    message: '',
    errorCode: '',
    contentSize: job.document_size,
  };
}

/**
 * Moves a job to `state` (and/or a new pages_printed). The update is
 * conditional on the state read, so two racing updates cannot both pass the
 * state machine from the same starting point; the one that lost succeeds all
 * the same if the job now holds what it asked for (a retry racing its first
 * try). A final job keeps its end: the same report again is answered,
 * anything else refused.
 */
export async function changeJobState(service: Pick<CloudService, 'db' | 'log' | 'bus'>, job: JobRow, state: JobState | undefined, pagesPrinted: number | undefined): Promise<void> {
  const { db, log } = service;
  const current = JSON.parse(job.state) as { state: JobState; pages_printed?: number };
  const next = state ?? current.state;
  const pages = pagesPrinted ?? job.pages_printed;
  const wanted = printJobState(next, pages);
  if (isFinal(job.status)) {
    if (wanted === job.state) return;
    throw new CloudError('ILLEGAL_TRANSITION', `Job ${job.id} cannot change any more: ${job.status} is final`);
  }
  checkTransition(job.status, next.type);
  const updated = await updateJobState(db).run({ id: job.id, from: job.status, status: next.type, state: wanted, pages_printed: pages, updated_at: Date.now() });
  if (updated === 1) {
    if (next.type !== job.status) log.info({ jobId: job.id, printerId: job.printer_id, from: job.status, to: next.type }, 'job state changed');
    printerChanged(service, job.printer_id, 'jobs');
    return;
  }
  const now = await db.selectFrom('jobs').select('state').where('id', '=', job.id).executeTakeFirst();
  if (!now) throw new CloudError('JOB_NOT_FOUND', `Job ${job.id} was deleted meanwhile`);
  if (now.state !== wanted) throw new CloudError('ILLEGAL_TRANSITION', `Job ${job.id} changed state meanwhile; read it again`);
}

async function removeJobs(service: CloudService, rows: Array<{ id: string; document_path: string | null }>): Promise<void> {
  if (!rows.length) return;
  await service.db.deleteFrom('jobs').where('id', 'in', rows.map((row) => row.id)).execute();
  for (const row of rows) if (row.document_path) await service.documents.remove(row.document_path);
}

export async function deleteJob(service: CloudService, job: Pick<JobRow, 'id' | 'document_path' | 'printer_id'>): Promise<void> {
  await removeJobs(service, [job]);
  printerChanged(service, job.printer_id, 'jobs');
}

export async function deleteJobsOf(service: CloudService, printerId: string): Promise<void> {
  await removeJobs(service, await service.db.selectFrom('jobs').select(['id', 'document_path']).where('printer_id', '=', printerId).execute());
}

const SWEEP_BATCH = 500;

/**
 * Retention (--job-retention): finished jobs older than it are deleted with
 * their documents; unfinished jobs older than it are aborted with
 * service_action_cause EXPIRATION, and deleted one retention period later.
 * Each printer whose jobs the sweep changed is told once.
 */
export async function sweepJobs(service: CloudService, now = Date.now()): Promise<number> {
  const cutoff = now - service.config.jobRetentionSeconds * 1000;
  const { db } = service;
  const changed = new Set<string>();
  let removed = 0;
  for (;;) {
    const rows = await db.selectFrom('jobs').select(['id', 'document_path', 'printer_id']).where('status', 'in', [...FINAL_STATES]).where('updated_at', '<=', cutoff).limit(SWEEP_BATCH).execute();
    await removeJobs(service, rows);
    for (const row of rows) changed.add(row.printer_id);
    removed += rows.length;
    if (rows.length < SWEEP_BATCH) break;
  }
  const expired: JobState = { type: 'ABORTED', service_action_cause: { error_code: 'EXPIRATION' } };
  const stale = await db.selectFrom('jobs').select(['id', 'pages_printed', 'printer_id']).where('status', 'not in', [...FINAL_STATES]).where('created_at', '<=', cutoff).execute();
  for (const job of stale) {
    // Only if still unfinished: the device may have finished it since it was read.
    const { numUpdatedRows } = await db
      .updateTable('jobs')
      .set({ status: 'ABORTED', state: printJobState(expired, job.pages_printed), updated_at: now })
      .where('id', '=', job.id)
      .where('status', 'not in', [...FINAL_STATES])
      .executeTakeFirst();
    if (numUpdatedRows > 0n) changed.add(job.printer_id);
  }
  for (const printerId of changed) printerChanged(service, printerId, 'jobs');
  return removed;
}
