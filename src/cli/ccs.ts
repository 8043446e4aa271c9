// `ocp sender create|list|rotate|revoke` (CCS app-server identities, straight
// on the store) and `ocp ccs drain` (asks the running server, over its
// loopback HTTP port and the operator token in DATA, to drain every
// app-server connection).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { openStore } from '../store/db.ts';
import { Senders } from '../ccs/service/senders.ts';
import { ADMIN_TOKEN_FILE } from '../ccs/transports/admin-http.ts';
import { addOptions, addStoreOptions, configFromCommand } from './options.ts';

async function withSenders<T>(command: Command, work: (senders: Senders) => Promise<T>): Promise<T> {
  const config = configFromCommand(command);
  const store = await openStore({ database: config.database, dataDir: config.dataDir, sync: config.sync });
  try {
    return await work(new Senders(store.db));
  } finally {
    await store.close();
  }
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
    const config = configFromCommand(drain);
    const ports = JSON.parse(readFileSync(join(config.dataDir, 'ports.json'), 'utf8')) as { http: number };
    const token = readFileSync(join(config.dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const response = await fetch(`http://${host.includes(':') ? `[${host}]` : host}:${ports.http}/ccs/admin/drain`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    if (!response.ok) throw new Error(`drain failed: HTTP ${response.status}`);
    const { draining } = (await response.json()) as { draining: number };
    console.log(`draining ${draining} app-server connection(s)`);
  });
}
