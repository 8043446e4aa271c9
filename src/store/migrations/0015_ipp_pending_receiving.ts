// A Create-Job whose Send-Document is uploading its document stays a row,
// marked with when the upload began (src/ipp/pending-jobs.ts claim), so that
// a Cancel-Job arriving meanwhile, on any node, still finds the job and
// cancels it: the Send-Document sees its row gone when the document is stored.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('ipp_pending_jobs').addColumn('receiving_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('ipp_pending_jobs').dropColumn('receiving_at').execute();
}
