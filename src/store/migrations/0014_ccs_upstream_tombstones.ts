// An upstream message ACKed by its app server stays as a tombstone for a
// while (src/ccs/service/queues.ts UPSTREAM_RESEND_WINDOW_MS) instead of
// being deleted: a device whose ACK was lost (its node died) sends it again,
// and the tombstone keeps that copy from reaching the app server a second time.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('ccs_upstream').addColumn('acked_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('ccs_upstream').dropColumn('acked_at').execute();
}
