// `ocp sender create|list|rotate|revoke` (CCS app-server identities, straight
// on the store) and `ocp ccs drain` (asks the running server, over its
// loopback HTTP port and the operator token in DATA, to drain every
// app-server connection).
import type { Command } from 'commander';
import { Senders } from '../ccs/service/senders.ts';
import { addOptions, configFromCommand } from './options.ts';
import { addStoreOptions, withAdminStore } from './admin-store.ts';
import { findRunningServer } from './running-server.ts';

async function withSenders<T>(command: Command, work: (senders: Senders) => Promise<T>): Promise<T> {
  return withAdminStore(command, (store) => work(new Senders(store.db)));
}

export function registerCcsCommands(program: Command): void {
  const sender = program.command('sender').description('manage CCS senders (app-server identities: sender ID + API key)');

  const create = addStoreOptions(sender.command('create').description('create a sender; prints its ID and API key (shown once)').argument('<name>').option('--json', 'print {"sender_id":…,"api_key":…}'));
  create.action(async (name: string) => {
    const created = await withSenders(create, (senders) => senders.create(name));
    if (create.opts().json) console.log(JSON.stringify(created));
    else console.log(`sender_id ${created.sender_id}\napi_key   ${created.api_key}`);
  });

  const list = addStoreOptions(sender.command('list').description('list senders').option('--json', 'print JSON'));
  list.action(async () => {
    const rows = await withSenders(list, (senders) => senders.list());
    const shown = rows.map(({ sender_id, name, created_at, rotated_at, revoked_at }) => ({ sender_id, name, created_at, rotated_at, revoked_at }));
    if (list.opts().json) console.log(JSON.stringify(shown));
    else for (const s of shown) console.log(`${s.sender_id}\t${s.name}\t${s.revoked_at ? 'revoked' : 'active'}`);
  });

  const rotate = addStoreOptions(sender.command('rotate').description('issue a new API key; the old one stops working now').argument('<sender_id>').option('--json', 'print JSON'));
  rotate.action(async (senderId: string) => {
    const apiKey = await withSenders(rotate, (senders) => senders.rotate(senderId));
    console.log(rotate.opts().json ? JSON.stringify({ sender_id: senderId, api_key: apiKey }) : apiKey);
  });

  const revoke = addStoreOptions(sender.command('revoke').description('revoke the API key; logins and /gcm/send fail until rotated').argument('<sender_id>'));
  revoke.action(async (senderId: string) => {
    await withSenders(revoke, (senders) => senders.revoke(senderId));
    console.log(`revoked ${senderId}`);
  });

  const ccs = program.command('ccs').description('operate the running Cloud Connection Server');
  const drain = addOptions(ccs.command('drain').description('send CONNECTION_DRAINING to every app-server connection, then close them'));
  drain.action(async () => {
    const server = findRunningServer(configFromCommand(drain));
    const response = await fetch(`${server.baseUrl}/ccs/admin/drain`, { method: 'POST', headers: { authorization: `Bearer ${server.token}` } });
    if (!response.ok) throw new Error(`drain failed: HTTP ${response.status}`);
    const { draining } = (await response.json()) as { draining: number };
    console.log(`draining ${draining} app-server connection(s)`);
  });
}
