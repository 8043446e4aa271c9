// What the console's server side reads from the store: who may watch a
// printer, and a printer's shares for its managers. The cloud's own rules
// decide (roleOn).
import type { Account } from '../auth/accounts.ts';
import { atLeast, roleOn } from '../cloud/access.ts';
import { findPrinter, visiblePrinters } from '../cloud/printers.ts';
import type { Db } from '../store/db.ts';

export interface ShareEntry {
  scope: string;
  role: string;
  /** Whether an account uses this email (a share with an unknown email waits for someone to sign up with it). */
  known: boolean;
}

export function consoleDirectory(db: Db) {
  return {
    /** Whether `account` may see `printerId` now; undefined if the printer is gone. */
    async maySee(account: Account, printerId: string): Promise<boolean | undefined> {
      const printer = await findPrinter(db, printerId);
      if (!printer) return undefined;
      return (await roleOn(db, printer, { account })) !== undefined;
    },
    async visiblePrinterIds(account: Account): Promise<string[]> {
      return (await visiblePrinters(db, { account }, {})).map((printer) => printer.id);
    },
    /** The printer's shares, for a manager of it only (undefined otherwise: the caller learns nothing). */
    async sharesOf(account: Account, printerId: string): Promise<ShareEntry[] | undefined> {
      const printer = await findPrinter(db, printerId);
      if (!printer || !atLeast(await roleOn(db, printer, { account }), 'MANAGER')) return undefined;
      const rows = await db
        .selectFrom('shares')
        .leftJoin('accounts', 'accounts.email', 'shares.scope')
        .select(['shares.scope', 'shares.role', 'accounts.id as account_id'])
        .where('shares.printer_id', '=', printerId)
        .orderBy('shares.scope')
        .execute();
      return rows.map((row) => ({ scope: row.scope, role: row.role, known: row.account_id !== null || row.scope === 'public' }));
    },
  };
}

export type ConsoleDirectory = ReturnType<typeof consoleDirectory>;
