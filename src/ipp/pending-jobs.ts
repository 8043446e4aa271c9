// Create-Jobs waiting for their Send-Document [RFC 8011 §4.2.4], as rows of
// the store (table ipp_pending_jobs, migration 0013) so that every node of a
// cluster sees them: behind the balancer a client's Create-Job, Send-Document
// and Get-Jobs may each reach another node (issue 20). A row past its
// expires_at is gone (multiple-operation-time-out-action abort-job, PWG
// 5100.11 §5.3.3): no read returns it, and each Create-Job sweeps such rows.
import type { Db } from '../store/db.ts';
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

export function pendingJobsIn(db: Db): IppPendingJobs {
  return {
    async add({ job, format, compression, expiresAt }, now) {
      // The sweep: one indexed delete of what expired, as cheap as the insert.
      await db.deleteFrom('ipp_pending_jobs').where('expires_at', '<=', now).execute();
      await db
        .insertInto('ipp_pending_jobs')
        .values({
          id: job.id, printer_id: job.printerId, owner_id: job.ownerId, owner_email: job.ownerEmail, title: job.title,
          ticket: JSON.stringify(job.ticket), format: format ?? null, compression, created_at: job.createdAt, expires_at: expiresAt,
        })
        .execute();
    },

    async of(printerId, now, ownerId) {
      let query = db.selectFrom('ipp_pending_jobs').selectAll().where('printer_id', '=', printerId).where('expires_at', '>', now);
      if (ownerId) query = query.where('owner_id', '=', ownerId);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
      return rows.map(pendingOf);
    },

    async count(printerId, now) {
      const row = await db
        .selectFrom('ipp_pending_jobs')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('printer_id', '=', printerId)
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },

    async take(id, now) {
      // One statement: of two nodes taking the same job at once, one deletes the row and the other finds none.
      const row = await db.deleteFrom('ipp_pending_jobs').where('id', '=', id).where('expires_at', '>', now).returningAll().executeTakeFirst();
      return row && pendingOf(row);
    },
  };
}
