// IPP Create-Jobs waiting for their Send-Document (issue 20: any node takes
// any request): a client's Create-Job and Send-Document may reach different
// nodes through the balancer, so the pending job is a row every node reads,
// not one node's memory. A row lives until its document arrives (taken with
// DELETE … RETURNING: one Send-Document wins), Close-Job / Cancel-Job, or
// expires_at (multiple-operation-time-out, PWG 5100.11 §5.3.3 abort-job).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ipp_pending_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('printer_id', 'text', (c) => c.notNull().references('printers.id').onDelete('cascade'))
    .addColumn('owner_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('owner_email', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('ticket', 'text', (c) => c.notNull())
    .addColumn('format', 'text')
    .addColumn('compression', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  // Get-Jobs and the queue-full count read a printer's rows; the sweep finds the expired.
  await db.schema.createIndex('ipp_pending_jobs_printer').on('ipp_pending_jobs').columns(['printer_id', 'expires_at']).execute();
  await db.schema.createIndex('ipp_pending_jobs_expires_at').on('ipp_pending_jobs').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('ipp_pending_jobs').execute();
}
