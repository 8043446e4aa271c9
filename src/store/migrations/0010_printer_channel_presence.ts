// When each robot's XMPP push channel last opened and closed, so that
// /search, /list and /printer can say whether a printer's device is connected
// (`connectionStatus`, GCP §a) on every node of a cluster: the store is what
// the nodes share. One row per robot: one connection serves all its printers,
// also those it registers later.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('push_channels')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('opened_at', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('push_channels').execute();
}
