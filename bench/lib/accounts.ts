// Robot accounts with API tokens, written straight into a data directory's
// store before the server starts (15,000 of them over HTTP would measure the
// REST API, not the XMPP server).
import { openStore } from '../../src/store/db.ts';
import { Accounts } from '../../src/auth/accounts.ts';

export interface LoadAccount {
  local: string;
  token: string;
}

/** `database`: the store's (a postgres:// URL for a cluster's), SQLite in `dataDir` by default. */
export async function createRobotAccounts(dataDir: string, count: number, database = 'sqlite'): Promise<LoadAccount[]> {
  const store = await openStore({ database, dataDir, sync: 'normal' });
  try {
    const accounts = new Accounts(store.db, { accessTokenTtlSeconds: 3600 });
    const created: LoadAccount[] = [];
    // Sixteen at a time: on PostgreSQL each insert waits for its own commit.
    for (let i = 0; i < count; i += 16) {
      const batch = Array.from({ length: Math.min(16, count - i) }, async () => {
        const robot = await accounts.createRobot();
        return { local: robot.jid_local, token: await accounts.issueApiToken(robot.id) };
      });
      created.push(...(await Promise.all(batch)));
    }
    return created;
  } finally {
    await store.close();
  }
}

/** A user account (to own printers and submit jobs); sign in over HTTP with the password grant. */
export async function createUserAccount(dataDir: string, email: string, password: string): Promise<void> {
  const store = await openStore({ database: 'sqlite', dataDir, sync: 'normal' });
  try {
    await new Accounts(store.db, { accessTokenTtlSeconds: 3600 }).createUser(email, password);
  } finally {
    await store.close();
  }
}
