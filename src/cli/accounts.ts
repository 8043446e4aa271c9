// `ocp user add|list|delete` and `ocp token create|revoke`: account
// administration straight on the store, for operators and scripts.
import type { Command } from 'commander';
import type { Accounts } from '../auth/accounts.ts';
import { addStoreOptions, withAdminStore } from './admin-store.ts';
import { readStdin } from './prompt.ts';

/** Runs `work` with the accounts of the store the command's options point at. */
async function withAccounts<T>(command: Command, work: (accounts: Accounts) => Promise<T>): Promise<T> {
  const { Accounts } = await import('../auth/accounts.ts');
  return withAdminStore(command, (store, config) => work(new Accounts(store.db, { accessTokenTtlSeconds: config.accessTokenTtlSeconds })));
}

function storeCommand(parent: Command, name: string, description: string): Command {
  return addStoreOptions(parent.command(name).description(description));
}

export function registerAccountCommands(program: Command): void {
  const user = program.command('user').description('manage user accounts');

  const add = storeCommand(user, 'add', 'create a user; the password is read from standard input')
    .argument('<email>')
    .option('--password-stdin', 'read the password from standard input (the only way; flags would leak it to ps)');
  add.action(async (email: string) => {
    if (!add.opts().passwordStdin) throw new Error('give --password-stdin and pipe the password in');
    const password = await readStdin();
    const account = await withAccounts(add, (accounts) => accounts.createUser(email, password));
    console.log(`created user ${account.email} (id ${account.id})`);
  });

  const list = storeCommand(user, 'list', 'list user accounts').option('--json', 'print JSON');
  list.action(async () => {
    const users = await withAccounts(list, (accounts) => accounts.listUsers());
    if (list.opts().json) console.log(JSON.stringify(users.map(({ id, email, created_at }) => ({ id, email, created_at }))));
    else for (const u of users) console.log(`${u.email}\t${u.id}\t${new Date(u.created_at).toISOString()}`);
  });

  const remove = storeCommand(user, 'delete', 'delete a user account and its tokens').argument('<email>');
  remove.action(async (email: string) => {
    await withAccounts(remove, async (accounts) => {
      const account = await accounts.findByEmail(email);
      if (!account) throw new Error(`no user ${email}`);
      await accounts.deleteAccount(account.id);
    });
    console.log(`deleted user ${email}`);
  });

  const token = program.command('token').description('manage API tokens');
  const create = storeCommand(token, 'create', 'print a new long-lived API token for a user').argument('<email>');
  create.action(async (email: string) => {
    const secret = await withAccounts(create, async (accounts) => {
      const account = await accounts.findByEmail(email);
      if (!account) throw new Error(`no user ${email}`);
      return accounts.issueApiToken(account.id);
    });
    console.log(secret);
  });

  const revoke = storeCommand(token, 'revoke', 'revoke a token read from standard input');
  revoke.action(async () => {
    const secret = await readStdin();
    await withAccounts(revoke, (accounts) => accounts.revoke(secret.trim()));
    console.log('revoked');
  });
}
