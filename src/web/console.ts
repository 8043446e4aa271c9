// The web console at /console/: a Preact application (src/web/console/app/,
// bundled by console-bundle.ts) that signs in through console-session.ts,
// works through the same /cloudprint REST interface as every other client,
// and hears of changes through console-events.ts. Every console response
// carries a strict CSP (no inline script or style, nothing from elsewhere,
// no framing) and nosniff.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Accounts } from '../auth/accounts.ts';
import type { DeviceCodes } from '../auth/device-codes.ts';
import { callerOf } from '../auth/http-auth.ts';
import type { NotificationBus } from '../events/bus.ts';
import { textField } from '../http/fields.ts';
import type { Store } from '../store/db.ts';
import { ensureConsoleBundle } from './console-bundle.ts';
import { consoleDirectory } from './console-directory.ts';
import { registerConsoleEvents } from './console-events.ts';
import { fromConsole, registerConsoleSession } from './console-session.ts';
import { registerConsoleAccount } from './console-account.ts';

/** What the console needs from the server that runs it. */
export interface ConsoleDependencies {
  config: { consoleHeartbeatSeconds: number; consoleStreamsPerAccount: number; consoleApiTokensPerAccount: number };
  store: Pick<Store, 'db'>;
  accounts: Accounts;
  /** The device flow's requests, shared with /device (src/auth/index.ts). */
  deviceCodes: DeviceCodes;
  bus: NotificationBus;
}

export const CONSOLE_SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

const ASSETS: Record<string, { type: string; file: () => string | URL }> = {
  'index.html': { type: 'text/html; charset=utf-8', file: () => new URL('./console/index.html', import.meta.url) },
  'console.css': { type: 'text/css; charset=utf-8', file: () => new URL('./console/console.css', import.meta.url) },
  'app.js': { type: 'text/javascript; charset=utf-8', file: ensureConsoleBundle },
};

export function registerConsole(app: FastifyInstance, deps: ConsoleDependencies): void {
  // Read once at start-up, served from memory.
  const contents = Object.fromEntries(Object.entries(ASSETS).map(([name, asset]) => [name, readFileSync(asset.file())]));
  const serve = (name: string) => (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.headers({ ...CONSOLE_SECURITY_HEADERS, 'content-type': ASSETS[name]!.type, 'cache-control': 'no-cache' }).send(contents[name]);
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/console/')) reply.headers(CONSOLE_SECURITY_HEADERS);
  });
  app.get('/', (_request, reply) => reply.redirect('/console/'));
  app.get('/favicon.ico', (_request, reply) => reply.code(204).send());
  app.get('/console/', serve('index.html'));
  app.get('/console/console.css', serve('console.css'));
  app.get('/console/app.js', serve('app.js'));

  const directory = consoleDirectory(deps.store.db);
  registerConsoleSession(app, deps);
  registerConsoleAccount(app, { accounts: deps.accounts, deviceCodes: deps.deviceCodes, apiTokensPerAccount: deps.config.consoleApiTokensPerAccount });
  registerConsoleEvents(app, {
    accounts: deps.accounts,
    bus: deps.bus,
    heartbeatSeconds: deps.config.consoleHeartbeatSeconds,
    streamsPerAccount: deps.config.consoleStreamsPerAccount,
    maySee: directory.maySee,
    visiblePrinterIds: directory.visiblePrinterIds,
  });

  /** A printer's shares with whether each email is an account's: /cloudprint/printer does not list them. */
  app.get('/console/shares', async (request, reply) => {
    const account = fromConsole(request) ? await callerOf(request, deps.accounts) : undefined;
    if (!account) return reply.code(401).send({ error: 'unauthorized', message: 'Sign in again' });
    const shares = await directory.sharesOf(account, textField(request.query, 'printerid') ?? '');
    if (!shares) return reply.code(404).send({ error: 'not_found', message: 'No such printer among those you manage' });
    return reply.header('cache-control', 'no-store').send({ shares });
  });
}
