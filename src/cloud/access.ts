// Who may do what to a printer. A caller's role on a printer comes from being
// its device (the robot account it authenticates as), its owner, a share
// (by email or public), or a proximity token for exactly that printer.
import type { Account } from '../auth/accounts.ts';
import type { Db } from '../store/db.ts';
import { CloudError } from './errors.ts';
import type { PrintersTable, ShareRole } from '../store/tables/cloud.ts';

export interface Caller {
  account: Account;
  /**
   * Set when the caller holds a proximity token: it may print to this printer
   * only, and reaches only the jobs submitted with this very token (whoever
   * reaches the printer can have a token minted for any user, so it must not
   * reach what that user prints through the cloud).
   */
  proximity?: { printerId: string; tokenHash: string };
}

export type Role = ShareRole | 'DEVICE';

const RANK: Record<Role, number> = { USER: 1, MANAGER: 2, OWNER: 3, DEVICE: 4 };

export function atLeast(role: Role | undefined, wanted: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[wanted];
}

export const PUBLIC_SCOPE = 'public';

export async function roleOn(db: Db, printer: Pick<PrintersTable, 'id' | 'owner_id' | 'robot_id'>, caller: Caller): Promise<Role | undefined> {
  if (caller.proximity) return caller.proximity.printerId === printer.id ? 'USER' : undefined;
  if (printer.robot_id === caller.account.id) return 'DEVICE';
  if (!printer.owner_id) return undefined; // unclaimed: nobody but its device
  if (printer.owner_id === caller.account.id) return 'OWNER';
  // Shares are for people: robots and devices have no email, and "public" means every signed-in user.
  if (caller.account.kind !== 'user' || !caller.account.email) return undefined;
  const scopes = [caller.account.email, PUBLIC_SCOPE];
  const shares = await db.selectFrom('shares').select('role').where('printer_id', '=', printer.id).where('scope', 'in', scopes).execute();
  let best: Role | undefined;
  for (const { role } of shares) if (!best || RANK[role] > RANK[best]) best = role;
  return best;
}

/**
 * The caller's role, at least `wanted`. A caller with no role at all learns
 * nothing about the printer (404); one with too little gets 403.
 */
export async function requireRole(db: Db, printer: Pick<PrintersTable, 'id' | 'owner_id' | 'robot_id'>, caller: Caller, wanted: Role): Promise<Role> {
  const role = await roleOn(db, printer, caller);
  if (!role) throw new CloudError('PRINTER_NOT_FOUND', `Unknown printer ${printer.id}`);
  if (!atLeast(role, wanted)) throw new CloudError('FORBIDDEN', `This needs the ${wanted} role on printer ${printer.id}; you have ${role}`);
  return role;
}
