// The cloud side of the PushDirectory contract (src/events/bus.ts): what a
// robot that (re)connects to the XMPP channel missed, how often it wants
// pings (Privet §4.1.1 xmpp_timeout_value, §6.1), whether a live
// session's credentials still hold, and the channel opening and closing that
// make its printers ONLINE or OFFLINE (told to their watchers).
import type { PrinterNotification, PushDirectory, SessionCredentials } from '../../events/bus.ts';
import type { Db } from '../../store/db.ts';
import { preparedQuery } from '../../store/prepared.ts';
import { printerChanged, type CloudService } from '../service.ts';

/** Prepared: every device session asks on subscribe. */
const printersOfRobot = preparedQuery<{ jidLocal: string }, { id: string; local_settings_current: string | null; local_settings_pending: string | null; jid_local: string }>((db, param) =>
  db
    .selectFrom('printers')
    .innerJoin('accounts', 'accounts.id', 'printers.robot_id')
    .select(['printers.id', 'printers.local_settings_current', 'printers.local_settings_pending', 'accounts.jid_local'])
    .where('accounts.jid_local', '=', param('jidLocal')),
);

/** Values per IN list: well below SQLite's and PostgreSQL's parameter limits. */
const IN_LIST_CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += IN_LIST_CHUNK) out.push(items.slice(i, i + IN_LIST_CHUNK));
  return out;
}

/** docs/xmpp.md "How long a session lives": the account exists and its grant can still be refreshed (an API token: exists). */
async function credentialsHold(db: Db, credentials: readonly SessionCredentials[]): Promise<boolean[]> {
  const accounts = new Set<string>();
  const grants = new Set<string>();
  const apiTokens = new Set<string>();
  for (const chunk of chunks([...new Set(credentials.map((c) => c.accountId))])) {
    for (const row of await db.selectFrom('accounts').select('id').where('id', 'in', chunk).execute()) accounts.add(row.id);
  }
  for (const chunk of chunks([...new Set(credentials.flatMap((c) => (c.grant ? [c.grant] : [])))])) {
    for (const row of await db.selectFrom('tokens').select('family').distinct().where('family', 'in', chunk).where('kind', '=', 'refresh').execute()) grants.add(row.family!);
  }
  for (const chunk of chunks([...new Set(credentials.flatMap((c) => (c.grant ? [] : [c.tokenHash])))])) {
    for (const row of await db.selectFrom('tokens').select('token_hash').where('token_hash', 'in', chunk).execute()) apiTokens.add(row.token_hash);
  }
  return credentials.map((c) => accounts.has(c.accountId) && (c.grant ? grants.has(c.grant) : apiTokens.has(c.tokenHash)));
}

function robotPrinters(db: Db, jidLocal: string) {
  return printersOfRobot(db).all({ jidLocal: jidLocal.toLowerCase() });
}

/** `watchers`: where a printer's change of connectionStatus is told (printerChanged). */
export function createPushDirectory(db: Db, watchers: Pick<CloudService, 'bus' | 'log'>): PushDirectory {
  // The XMPP channel asks both questions at once on every subscribe: one query serves both.
  const inFlight = new Map<string, ReturnType<typeof robotPrinters>>();
  const printersOf = (jidLocal: string) => {
    let rows = inFlight.get(jidLocal);
    if (!rows) {
      rows = robotPrinters(db, jidLocal).finally(() => inFlight.delete(jidLocal));
      inFlight.set(jidLocal, rows);
    }
    return rows;
  };
  /** The account's printers are connected or disconnected now: their connectionStatus changed. */
  const tellWatchers = async (jidLocal: string) => {
    for (const printer of await printersOf(jidLocal)) printerChanged(watchers, printer.id, 'printer');
  };
  return {
    async missedNotifications(jidLocal) {
      const printers = await printersOf(jidLocal);
      if (!printers.length) return [];
      const withJobs = new Set(
        (await db.selectFrom('jobs').select('printer_id').distinct().where('status', '=', 'QUEUED').where('printer_id', 'in', printers.map((p) => p.id)).execute()).map((row) => row.printer_id),
      );
      const notifications: PrinterNotification[] = [];
      for (const printer of printers) {
        const recipients = [printer.jid_local];
        if (withJobs.has(printer.id)) notifications.push({ type: 'printer', kind: 'jobs', printerId: printer.id, recipients });
        if (printer.local_settings_pending !== null) notifications.push({ type: 'printer', kind: 'update_settings', printerId: printer.id, recipients });
      }
      return notifications;
    },

    async pingIntervalSeconds(jidLocal) {
      let interval: number | undefined;
      for (const printer of await printersOf(jidLocal)) {
        const value = printer.local_settings_current ? (JSON.parse(printer.local_settings_current) as { xmpp_timeout_value?: unknown }).xmpp_timeout_value : undefined;
        // One connection serves all of a robot's printers: ping as often as the most demanding one asks.
        if (typeof value === 'number' && value > 0 && (interval === undefined || value < interval)) interval = value;
      }
      return interval;
    },

    credentialsHold: (credentials) => credentialsHold(db, credentials),

    async channelOpened(jidLocal, at) {
      const account = await db.selectFrom('accounts').select('id').where('jid_local', '=', jidLocal.toLowerCase()).executeTakeFirst();
      if (!account) return;
      await db
        .insertInto('push_channels')
        .values({ account_id: account.id, opened_at: at, closed_at: null })
        .onConflict((oc) => oc.column('account_id').doUpdateSet({ opened_at: at }))
        .execute();
      await tellWatchers(jidLocal);
    },

    async channelClosed(jidLocal, openedAt, at) {
      const { numUpdatedRows } = await db
        .updateTable('push_channels')
        .set({ closed_at: at })
        .where('account_id', 'in', db.selectFrom('accounts').select('id').where('jid_local', '=', jidLocal.toLowerCase()))
        .where('opened_at', '<=', openedAt)
        .executeTakeFirst();
      // A session opened since is the channel now: the printers stay connected.
      if (numUpdatedRows > 0n) await tellWatchers(jidLocal);
    },
  };
}
