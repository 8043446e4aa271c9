// When a printer's device last opened and closed its XMPP push channel, so
// that /search, /list and /printer can say ONLINE or OFFLINE
// (`connectionStatus`, GCP §a) on every node of a cluster: the store is what
// the nodes share.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('printers').addColumn('channel_opened_at', 'bigint').execute();
  await db.schema.alterTable('printers').addColumn('channel_closed_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('printers').dropColumn('channel_closed_at').execute();
  await db.schema.alterTable('printers').dropColumn('channel_opened_at').execute();
}
