// A GCP 2.0 device states the id of its printer certification when it
// registers (`certification_id`); /printer returns it as `certificationId`.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('printers').addColumn('certification_id', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('printers').dropColumn('certification_id').execute();
}
