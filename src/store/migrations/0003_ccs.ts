// Cloud Connection Server: senders, device registrations, topic subscriptions,
// the durable downstream and upstream queues, and per-sender message-id dedup.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('ccs_senders')
    .addColumn('sender_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('api_key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('rotated_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema
    .createTable('ccs_registrations')
    .addColumn('registration_id', 'text', (c) => c.primaryKey())
    .addColumn('sender_id', 'text', (c) => c.notNull().references('ccs_senders.sender_id').onDelete('cascade'))
    .addColumn('app', 'text', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('jid_local', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('unregistered_at', 'bigint')
    .execute();
  await db.schema.createIndex('ccs_registrations_account').on('ccs_registrations').columns(['account_id', 'sender_id', 'app']).execute();
  await db.schema
    .createTable('ccs_topic_subscriptions')
    .addColumn('registration_id', 'text', (c) => c.notNull().references('ccs_registrations.registration_id').onDelete('cascade'))
    .addColumn('sender_id', 'text', (c) => c.notNull())
    .addColumn('topic', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ccs_topic_subscriptions_pk', ['registration_id', 'topic'])
    .execute();
  await db.schema.createIndex('ccs_topic_subscriptions_topic').on('ccs_topic_subscriptions').columns(['sender_id', 'topic']).execute();
  await db.schema
    .createTable('ccs_downstream')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sender_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('registration_id', 'text', (c) => c.notNull())
    .addColumn('jid_local', 'text', (c) => c.notNull())
    .addColumn('collapse_key', 'text')
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('delay_while_idle', 'integer', (c) => c.notNull())
    .addColumn('receipt_requested', 'integer', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ccs_downstream_device').on('ccs_downstream').columns(['jid_local', 'created_at']).execute();
  await db.schema.createIndex('ccs_downstream_expiry').on('ccs_downstream').column('expires_at').execute();
  await db.schema
    .createTable('ccs_upstream')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('sender_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('ccs_upstream_sender').on('ccs_upstream').columns(['sender_id', 'created_at']).execute();
  await db.schema
    .createTable('ccs_message_ids')
    .addColumn('sender_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('ccs_message_ids_pk', ['sender_id', 'message_id'])
    .execute();
  await db.schema.createIndex('ccs_message_ids_age').on('ccs_message_ids').column('created_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['ccs_message_ids', 'ccs_upstream', 'ccs_downstream', 'ccs_topic_subscriptions', 'ccs_registrations', 'ccs_senders']) {
    await db.schema.dropTable(table).execute();
  }
}
