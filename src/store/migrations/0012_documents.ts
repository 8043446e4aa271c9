// The `database` document store (--documents database, issue 20): print
// documents as rows of at most 256 KiB, so that every node of a cluster
// reads what any node stored (src/cloud/documents/database.ts says why rows
// and not large objects). The tables exist on SQLite too, to keep one
// schema, but stay empty there: that backend refuses to start on SQLite.
import { PostgresAdapter, sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  await db.schema
    .createTable('documents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.unique())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('chunks', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  // The start-up clean-up looks for old uploads and old committed documents.
  await db.schema.createIndex('documents_updated_at').on('documents').column('updated_at').execute();
  await db.schema
    .createTable('document_chunks')
    .addColumn('document_id', 'text', (c) => c.notNull().references('documents.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('data', postgres ? sql`bytea` : 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('document_chunks_pk', ['document_id', 'seq'])
    .execute();
  // Print documents are mostly compressed already (PDF streams, JPEG, PWG
  // raster's run lengths): stored out of line without trying pglz on each.
  if (postgres) await sql`alter table document_chunks alter column data set storage external`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('document_chunks').execute();
  await db.schema.dropTable('documents').execute();
}
