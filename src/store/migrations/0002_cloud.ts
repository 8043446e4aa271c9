// The cloud print service: printers, their shares, print jobs and proximity
// tokens (see src/cloud/tables.ts for what each column holds).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('printers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('robot_id', 'text', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('proxy', 'text')
    .addColumn('uuid', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('default_display_name', 'text')
    .addColumn('manufacturer', 'text')
    .addColumn('model', 'text')
    .addColumn('gcp_version', 'text')
    .addColumn('setup_url', 'text')
    .addColumn('support_url', 'text')
    .addColumn('update_url', 'text')
    .addColumn('firmware', 'text')
    .addColumn('capabilities', 'text', (c) => c.notNull())
    .addColumn('caps_hash', 'text')
    .addColumn('semantic_state', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('notification_channel', 'text', (c) => c.notNull())
    .addColumn('local_settings_current', 'text')
    .addColumn('local_settings_pending', 'text')
    .addColumn('registration_token_hash', 'text', (c) => c.unique())
    .addColumn('registration_expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('accessed_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('printers_owner').on('printers').column('owner_id').execute();
  await db.schema.createIndex('printers_robot').on('printers').columns(['robot_id', 'proxy']).execute();
  await db.schema.createIndex('printers_registration_expiry').on('printers').column('registration_expires_at').execute();

  await db.schema
    .createTable('shares')
    .addColumn('printer_id', 'text', (c) => c.notNull().references('printers.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('shares_pk', ['printer_id', 'scope'])
    .execute();
  await db.schema.createIndex('shares_scope').on('shares').column('scope').execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('printer_id', 'text', (c) => c.notNull().references('printers.id').onDelete('cascade'))
    .addColumn('owner_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('ticket', 'text', (c) => c.notNull())
    .addColumn('document_path', 'text')
    .addColumn('document_size', 'bigint', (c) => c.notNull())
    .addColumn('document_sha256', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('pages_printed', 'integer', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('jobs_printer_status').on('jobs').columns(['printer_id', 'status', 'created_at']).execute();
  await db.schema.createIndex('jobs_owner').on('jobs').columns(['owner_id', 'created_at']).execute();
  await db.schema.createIndex('jobs_status_updated').on('jobs').columns(['status', 'updated_at']).execute();

  await db.schema
    .createTable('proximity_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('printer_id', 'text', (c) => c.notNull().references('printers.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('robot_owners')
    .addColumn('robot_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('owner_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['robot_owners', 'proximity_tokens', 'jobs', 'shares', 'printers']) await db.schema.dropTable(table).execute();
}
