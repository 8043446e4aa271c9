// Create-Jobs waiting for their Send-Document [RFC 8011 §4.2.4], as rows of
// the store (table ipp_pending_jobs, migration 0013) so that every node of a
// cluster sees them: behind the balancer a client's Create-Job, Send-Document
// and Get-Jobs may each reach another node (issue 20). A row past its
// expires_at is gone (multiple-operation-time-out-action abort-job, PWG
// 5100.11 §5.3.3): no read returns it, and each Create-Job sweeps such rows.
// A Send-Document claims the row (receiving_at) while it uploads the
// document and removes it once the document is stored: a Cancel-Job
// meanwhile removes the row instead, and the Send-Document, finding it gone,
// cancels the job it stored. Each statement is one atomic step, so this
// holds across nodes.
import type { ExpressionBuilder } from 'kysely';
import type { Db } from '../store/db.ts';
import type { Database } from '../store/schema.ts';
import type { IppPendingJobsTable } from '../store/tables/ipp.ts';
import type { IppPendingJob, IppPendingJobs } from './deps.ts';

function parseTicket(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function pendingOf(row: IppPendingJobsTable): IppPendingJob {
  return {
    job: {
      id: row.id, printerId: row.printer_id, ownerId: row.owner_id, ownerEmail: row.owner_email, title: row.title,
      contentType: row.format ?? 'application/octet-stream', state: { type: 'QUEUED' }, pagesPrinted: 0, documentSize: 0,
      createdAt: row.created_at, updatedAt: row.created_at, ticket: parseTicket(row.ticket),
    },
    format: row.format ?? undefined,
    compression: row.compression,
    expiresAt: row.expires_at,
  };
}

/**
 * A row still claimed this long after its upload began belongs to a
 * Send-Document that will never finish (its node died): swept. A day is
 * longer than any upload of --max-document-size takes.
 */
export const RECEIVING_ROW_LIFETIME_MS = 24 * 3600 * 1000;

type Rows = ExpressionBuilder<Database, 'ipp_pending_jobs'>;

/** Rows that are jobs now: waiting for their document within the time-out, or receiving it. */
const live = (now: number) => (eb: Rows) => eb.or([eb('expires_at', '>', now), eb('receiving_at', 'is not', null)]);

export function pendingJobsIn(db: Db): IppPendingJobs {
  return {
    async add({ job, format, compression, expiresAt }, now) {
      // The sweep: one delete of what expired (and of uploads a dead node left), as cheap as the insert.
      await db
        .deleteFrom('ipp_pending_jobs')
        .where((eb) => eb.or([eb.and([eb('expires_at', '<=', now), eb('receiving_at', 'is', null)]), eb('receiving_at', '<=', now - RECEIVING_ROW_LIFETIME_MS)]))
        .execute();
      await db
        .insertInto('ipp_pending_jobs')
        .values({
          id: job.id, printer_id: job.printerId, owner_id: job.ownerId, owner_email: job.ownerEmail, title: job.title,
          ticket: JSON.stringify(job.ticket), format: format ?? null, compression, created_at: job.createdAt, expires_at: expiresAt,
        })
        .execute();
    },

    async of(printerId, now, ownerId) {
      let query = db.selectFrom('ipp_pending_jobs').selectAll().where('printer_id', '=', printerId).where(live(now));
      if (ownerId) query = query.where('owner_id', '=', ownerId);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(pendingOf);
    },

    async count(printerId, now) {
      const row = await db
        .selectFrom('ipp_pending_jobs')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('printer_id', '=', printerId)
        .where(live(now))
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async claim(id, now) {
      // One statement: of two nodes claiming the same job at once, one marks the row and the other finds it marked.
      const row = await db
        .updateTable('ipp_pending_jobs')
        .set({ receiving_at: now })
        .where('id', '=', id)
        .where('expires_at', '>', now)
        .where('receiving_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
      return row && pendingOf(row);
    },

    async finish(id) {
      const row = await db.deleteFrom('ipp_pending_jobs').where('id', '=', id).where('receiving_at', 'is not', null).returning('id').executeTakeFirst();
      return row !== undefined;
    },

    async take(id, now) {
      const row = await db.deleteFrom('ipp_pending_jobs').where('id', '=', id).where('expires_at', '>', now).where('receiving_at', 'is', null).returningAll().executeTakeFirst();
      return row && pendingOf(row);
    },

    async cancel(id, now) {
      const row = await db.deleteFrom('ipp_pending_jobs').where('id', '=', id).where(live(now)).returning('id').executeTakeFirst();
      return row !== undefined;
    },
  };
}
