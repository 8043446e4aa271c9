// Robot refresh tokens no longer rotate (docs/api.md § Refresh tokens). A
// robot's refresh tokens used before this migration, whose grant still
// stands, become valid again: a connector stores the token it got at `init`
// and presents that one at its next start, so it must work, not revoke the
// grant as a replay. (Grants already revoked as replayed stay revoked: their
// tokens are gone.)
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`update tokens set kind = 'refresh', expires_at = null
    where kind = 'used_refresh' and account_id in (select id from accounts where kind = 'robot')`.execute(db);
}

/** The tokens stay valid: which of them had been used is not known any more. */
export async function down(): Promise<void> {}
