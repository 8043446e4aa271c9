// Shares of a printer (by email or public) and proximity tokens [GCP §a
// share, unshare; Privet §4.4]: their rows. Who may share what is decided by
// the routes (routes/sharing.ts) with the roles of access.ts.
import type { Account } from '../auth/accounts.ts';
import type { Db } from '../store/db.ts';
import type { ProximityTokensTable, SharesTable, ShareRole } from '../store/tables/cloud.ts';

export async function findShare(db: Db, printerId: string, scope: string): Promise<{ role: ShareRole } | undefined> {
  return db.selectFrom('shares').select('role').where('printer_id', '=', printerId).where('scope', '=', scope).executeTakeFirst();
}

/** Adds a share, or changes the role of the one with this scope. */
export async function saveShare(db: Db, row: SharesTable): Promise<void> {
  await db.insertInto('shares').values(row).onConflict((oc) => oc.columns(['printer_id', 'scope']).doUpdateSet({ role: row.role })).execute();
}

export async function removeShare(db: Db, printerId: string, scope: string): Promise<void> {
  await db.deleteFrom('shares').where('printer_id', '=', printerId).where('scope', '=', scope).execute();
}

export async function insertProximityToken(db: Db, row: ProximityTokensTable): Promise<void> {
  await db.insertInto('proximity_tokens').values(row).execute();
}

/** The account and printer of an unexpired proximity token, by the token's hash. */
export async function proximityTokenOwner(db: Db, tokenHash: string, now = Date.now()): Promise<{ account: Account; printerId: string } | undefined> {
  const row = await db
    .selectFrom('proximity_tokens')
    .innerJoin('accounts', 'accounts.id', 'proximity_tokens.user_id')
    .selectAll('accounts')
    .select(['proximity_tokens.printer_id', 'proximity_tokens.expires_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row || row.expires_at <= now) return undefined;
  const { printer_id, expires_at: _expires, ...account } = row;
  return { account, printerId: printer_id };
}
