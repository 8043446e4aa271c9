// A job whose document the cloud converts for its printer (GCP §a `submit`)
// names the type it is being converted to until the converted document is in
// place; a server that stopped mid-conversion finds such jobs at its next
// start and converts them again.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('converting_to', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('converting_to').execute();
}
