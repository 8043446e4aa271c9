// Revoking a grant deletes its tokens by family, and an account remembers that
// its credentials were handed out (getauthcode must not hand them out again
// once they are revoked). Robots that hold tokens count as issued; one whose
// tokens were all revoked before this migration cannot be told from one not
// yet given its code, and stays open to getauthcode. Access tokens issued
// before it have no family, so revoking their grant leaves them to expire.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('tokens_family').on('tokens').column('family').execute();
  await db.schema.alterTable('accounts').addColumn('credentials_issued_at', 'bigint').execute();
  await sql`update accounts set credentials_issued_at = (
      select min(created_at) from tokens where tokens.account_id = accounts.id and tokens.kind in ('access', 'refresh'))
    where kind = 'robot'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('credentials_issued_at').execute();
  await db.schema.dropIndex('tokens_family').execute();
}
