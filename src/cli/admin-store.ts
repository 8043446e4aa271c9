// The store an admin command (`ocp user`, `token`, `sender`) works on: the
// server's, found the way the server finds it (--data, OCP_DATA, the config
// file's "data"; --database likewise). A command pointed at a place with no
// database refuses instead of making a second, empty one the server never
// reads, unless --init asks for it.
import type { Command } from 'commander';
import type { Store } from '../store/db.ts';
import type { ServerConfig } from '../config.ts';
import { SERVER_TABLE } from '../config.ts';
import { addOptionTable, configFromCommand, STORE_OPTION_KEYS } from './options.ts';

/** Adds the store's options (STORE_OPTION_KEYS, not every server option) and --init to an admin command. */
export function addStoreOptions(command: Command): Command {
  return addOptionTable(command, SERVER_TABLE, STORE_OPTION_KEYS).option('--init', 'create the database if there is none yet (without it the command refuses, so that a wrong --data cannot make a second, empty one)');
}

/** Runs `work` on the store the command's options point at. */
export async function withAdminStore<T>(command: Command, work: (store: Store, config: ServerConfig) => Promise<T>): Promise<T> {
  const config = configFromCommand(command);
  // Loaded on use: `ocp --help` and the other subcommands should not open a database driver.
  const { openStore, NoDatabaseError } = await import('../store/db.ts');
  let store: Store;
  try {
    store = await openStore({ database: config.database, dataDir: config.dataDir, sync: config.sync, create: command.opts().init === true });
  } catch (error) {
    if (!(error instanceof NoDatabaseError)) throw error;
    throw new Error(
      `${error.message}. Point this command at the server's data with --data, OCP_DATA or a config file (--config, OCP_CONFIG) giving "data" (and --database for PostgreSQL), as the server was started; or give --init to create a new database there`,
    );
  }
  try {
    return await work(store, config);
  } finally {
    await store.close();
  }
}
