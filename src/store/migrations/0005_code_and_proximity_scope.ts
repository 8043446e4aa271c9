// A job remembers the proximity token it was submitted with, so that token
// reaches only its own jobs (not the jobs its user submits later through the
// cloud). A robot remembers when getauthcode last handed out its code, so
// that of any number of concurrent polls one conditional update lets exactly
// one through; a robot with a live code counts as having it since then.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('proximity_token_hash', 'text').execute();
  await db.schema.alterTable('accounts').addColumn('code_issued_at', 'bigint').execute();
  await sql`update accounts set code_issued_at = (
      select max(created_at) from tokens where tokens.account_id = accounts.id and tokens.kind = 'code')
    where kind = 'robot'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('code_issued_at').execute();
  await db.schema.alterTable('jobs').dropColumn('proximity_token_hash').execute();
}
