// GET /console/events: the console's live updates, as server-sent events
// (WHATWG HTML §9.2). The stream is fed by the notification bus: every
// printer-changed hint (published by the cloud service where it changes a
// printer, its jobs or its shares: printerChanged, src/cloud/service.ts) for
// a printer the signed-in user may see becomes an `event: change` with the
// printer id; the page then re-reads what changed through /cloudprint. The access token comes in the Authorization header
// (the page reads the stream with fetch, not EventSource, so the token stays
// out of URLs and logs); every heartbeat checks it still holds, and the
// stream ends when it does not: the page refreshes its token and reconnects.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Account, Accounts } from '../auth/accounts.ts';
import { bearerToken } from '../auth/http-auth.ts';
import type { BusEvent, NotificationBus } from '../events/bus.ts';

export const EVENTS_PATH = '/console/events';

export interface EventStreamDependencies {
  accounts: Accounts;
  bus: NotificationBus;
  heartbeatSeconds: number;
  streamsPerAccount: number;
  maySee(account: Account, printerId: string): Promise<boolean | undefined>;
  visiblePrinterIds(account: Account): Promise<string[]>;
}

/** The printer an event is about and what changed, if it is one the console shows. */
function changeOf(event: BusEvent): { printerId: string; what: string } | undefined {
  return event.type === 'printer-changed' ? { printerId: event.printerId, what: event.what } : undefined;
}

export function registerConsoleEvents(app: FastifyInstance, deps: EventStreamDependencies): void {
  const open = new Map<string, Set<() => void>>();

  async function stream(request: FastifyRequest, reply: FastifyReply) {
    const token = bearerToken(request);
    const account = token ? await deps.accounts.authenticate(token) : undefined;
    if (!token || !account || account.kind !== 'user') return reply.code(401).header('cache-control', 'no-store').send({ error: 'unauthorized', message: 'Sign in again' });
    // Printers the user saw: a deleted one can no longer say who may see it.
    const seen = new Set(await deps.visiblePrinterIds(account));
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-accel-buffering': 'no' });
    const send = (text: string) => void (raw.writableEnded || raw.write(text));
    send(`retry: 2000\nevent: ready\ndata: {}\n\n`);

    let queue = Promise.resolve();
    const unsubscribe = deps.bus.subscribe((event) => {
      if (event.type === 'credentials-revoked' && event.accountId === account.id) return end();
      const change = changeOf(event);
      if (!change) return;
      // In order, one check at a time: the page sees changes as they happened.
      queue = queue.then(async () => {
        const visible = await deps.maySee(account, change.printerId);
        const tell = visible === true || (visible === undefined && seen.has(change.printerId));
        if (visible) seen.add(change.printerId);
        else seen.delete(change.printerId);
        if (tell) send(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
      }).catch(() => {});
    });
    const heartbeat = setInterval(() => {
      void deps.accounts.authenticate(token).then((still) => (still ? send(`: keep-alive\n\n`) : end()), end);
    }, deps.heartbeatSeconds * 1000);

    const mine = open.get(account.id) ?? new Set<() => void>();
    open.set(account.id, mine);
    function end() {
      if (!mine.delete(end)) return;
      if (mine.size === 0) open.delete(account!.id);
      clearInterval(heartbeat);
      unsubscribe();
      raw.end();
    }
    mine.add(end);
    // The oldest stream of the account goes when it holds too many (a tab left open everywhere).
    while (mine.size > deps.streamsPerAccount) mine.values().next().value!();
    raw.on('close', end);
    raw.on('error', end);
  }
  app.get(EVENTS_PATH, stream);
  // A stream never ends by itself: closing the server ends them all, or it would wait for them.
  app.addHook('preClose', async () => {
    for (const streams of [...open.values()]) for (const end of [...streams]) end();
  });
}
