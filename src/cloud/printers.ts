// Printer records: reading them the way the REST interface needs and turning
// a row into the `printers[]` object clients parse [GCP §a].
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/db.ts';
import { preparedQuery } from '../store/prepared.ts';
import { CloudError } from './errors.ts';
import type { PrintersTable } from '../store/tables/cloud.ts';
import type { Caller } from './access.ts';
import { containsText } from './text-search.ts';
import { printerUiState, waitingCause } from './ui-state.ts';

/** A printer with its owner's email, its robot's JID and when that robot's push channel opened and closed. */
export type PrinterRow = PrintersTable & {
  owner_email: string | null;
  robot_jid_local: string | null;
  channel_opened_at: number | null;
  channel_closed_at: number | null;
};

export const DEFAULT_SEMANTIC_STATE = { version: '1.0', printer: { state: 'IDLE' } };

export function newPrinterId(): string {
  return randomUUID();
}

function printerQuery(db: Db) {
  return db
    .selectFrom('printers')
    .leftJoin('accounts as owner', 'owner.id', 'printers.owner_id')
    .leftJoin('accounts as robot', 'robot.id', 'printers.robot_id')
    .leftJoin('push_channels as channel', 'channel.account_id', 'printers.robot_id')
    .selectAll('printers')
    .select(['owner.email as owner_email', 'robot.jid_local as robot_jid_local', 'channel.opened_at as channel_opened_at', 'channel.closed_at as channel_closed_at']);
}

const printerById = preparedQuery<{ id: string }, PrinterRow>((db, param) => printerQuery(db).where('printers.id', '=', param('id')));

export async function findPrinter(db: Db, id: string): Promise<PrinterRow | undefined> {
  return printerById(db).first({ id });
}

export async function getPrinter(db: Db, id: string): Promise<PrinterRow> {
  const printer = await findPrinter(db, id);
  if (!printer) throw new CloudError('PRINTER_NOT_FOUND', `Unknown printer ${id}`);
  return printer;
}

/** The printers a caller sees in `list`/`search`: its own as device or owner, and those shared with it by email. */
export async function visiblePrinters(db: Db, caller: Caller, filter: { proxy?: string; q?: string }): Promise<PrinterRow[]> {
  let query = printerQuery(db);
  if (caller.proximity) {
    query = query.where('printers.id', '=', caller.proximity.printerId);
  } else {
    const { id, email } = caller.account;
    query = query.where((eb) => {
      const own = [eb('printers.robot_id', '=', id), eb('printers.owner_id', '=', id)];
      // Printers shared with the user by email (public ones are reached by id, not listed).
      if (email) own.push(eb.and([eb('printers.owner_id', 'is not', null), eb('printers.id', 'in', eb.selectFrom('shares').select('printer_id').where('scope', '=', email))]));
      return eb.or(own);
    });
  }
  if (filter.proxy) query = query.where('printers.proxy', '=', filter.proxy);
  if (filter.q) {
    const q = filter.q;
    query = query.where((eb) => eb.or([containsText('printers.name', q), containsText('printers.default_display_name', q)]));
  }
  return query.orderBy('printers.name').orderBy('printers.id').execute();
}

export async function queuedJobCounts(db: Db, printerIds: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (!printerIds.length) return counts;
  const rows = await db
    .selectFrom('jobs')
    .select(['printer_id', (eb) => eb.fn.countAll<number | string>().as('count')])
    .where('printer_id', 'in', printerIds)
    .where('status', '=', 'QUEUED')
    .groupBy('printer_id')
    .execute();
  for (const row of rows) counts.set(row.printer_id, Number(row.count));
  return counts;
}

/** Who owns a printer the caller registers: a robot made with `createrobot` registers printers for the user who made it. */
export async function ownerFor(db: Db, caller: Caller): Promise<string> {
  if (caller.account.kind !== 'robot') return caller.account.id;
  const link = await db.selectFrom('robot_owners').select('owner_id').where('robot_id', '=', caller.account.id).executeTakeFirst();
  return link?.owner_id ?? caller.account.id;
}

export async function insertPrinter(db: Db, row: PrintersTable): Promise<void> {
  await db.insertInto('printers').values(row).execute();
}

export async function updatePrinter(db: Db, id: string, changes: Partial<PrintersTable>): Promise<void> {
  await db.updateTable('printers').set(changes).where('id', '=', id).execute();
}

/** The printer row only; its jobs go first (deleteJobsOf, with their documents). */
export async function deletePrinter(db: Db, id: string): Promise<void> {
  await db.deleteFrom('printers').where('id', '=', id).execute();
}

/** Whether a robot still serves: it is the device of a printer, or a connector's robot (`createrobot`). */
export async function robotInUse(db: Db, robotId: string): Promise<boolean> {
  const stillUsed = await db.selectFrom('printers').select('id').where('robot_id', '=', robotId).executeTakeFirst();
  const connector = await db.selectFrom('robot_owners').select('robot_id').where('robot_id', '=', robotId).executeTakeFirst();
  return !!stillUsed || !!connector;
}

function parse(text: string | null): unknown {
  return text === null ? undefined : (JSON.parse(text) as unknown);
}

export function parseTags(text: string): string[] {
  return JSON.parse(text) as string[];
}

export interface ViewOptions {
  /** Proxies get only `__cp__` tags: the Go connector strips 6 characters from every tag (GCP §a). */
  forProxy: boolean;
  capabilities: boolean;
  /** `extra_fields`: queuedJobsCount, semanticState, uiState, -tags (connectionStatus is always there). */
  extraFields: Set<string>;
  queuedJobsCount?: number;
}

export type ConnectionStatus = 'ONLINE' | 'OFFLINE' | 'DORMANT' | 'UNKNOWN';

/**
 * `connectionStatus` (GCP §a), from the device's XMPP push channel as the
 * nodes record it (src/cloud/push): ONLINE while a session of its robot is
 * subscribed; OFFLINE once the last one closed (the server closes a silent
 * device's session when its ping interval, xmpp_timeout_value, passes
 * unanswered); DORMANT if it never connected; UNKNOWN for a printer
 * notified by another channel (FCM), whose connection this server cannot see.
 */
export function connectionStatus(row: Pick<PrinterRow, 'notification_channel' | 'channel_opened_at' | 'channel_closed_at'>): ConnectionStatus {
  if (row.notification_channel !== 'XMPP_CHANNEL') return 'UNKNOWN';
  if (row.channel_opened_at === null) return 'DORMANT';
  return row.channel_closed_at !== null && Number(row.channel_closed_at) >= Number(row.channel_opened_at) ? 'OFFLINE' : 'ONLINE';
}

export function printerView(row: PrinterRow, options: ViewOptions): Record<string, unknown> {
  const semanticState = parse(row.semantic_state) as Record<string, unknown>;
  let tags = parseTags(row.tags);
  if (options.forProxy) tags = tags.filter((tag) => tag.startsWith('__cp__'));
  const view: Record<string, unknown> = {
    id: row.id,
    name: row.name,
    displayName: row.default_display_name ?? row.name,
    defaultDisplayName: row.default_display_name ?? row.name,
    description: '',
    proxy: row.proxy ?? '',
    uuid: row.uuid ?? '',
    manufacturer: row.manufacturer ?? '',
    model: row.model ?? '',
    gcpVersion: row.gcp_version ?? '',
    setupUrl: row.setup_url ?? '',
    supportUrl: row.support_url ?? '',
    updateUrl: row.update_url ?? '',
    firmware: row.firmware ?? '',
    type: 'GOOGLE',
    ownerId: row.owner_email ?? '',
    status: '',
    isTosAccepted: row.owner_id !== null,
    notificationChannel: row.notification_channel,
    capsHash: row.caps_hash ?? '',
    ...(row.certification_id !== null ? { certificationId: row.certification_id } : {}),
    createTime: String(row.created_at),
    updateTime: String(row.updated_at),
    accessTime: String(row.accessed_at),
  };
  if (!options.extraFields.has('-tags')) view.tags = tags;
  if (options.capabilities) view.capabilities = parse(row.capabilities);
  if (options.capabilities || options.extraFields.has('semanticState')) view.semanticState = semanticState;
  // Every printer view says whether its device is connected: clients read it without asking (GCP §a).
  const status = connectionStatus(row);
  view.connectionStatus = status;
  if (options.extraFields.has('uiState')) view.uiState = printerUiState(semanticState, status === 'OFFLINE');
  if (options.queuedJobsCount !== undefined) view.queuedJobsCount = options.queuedJobsCount;
  const settings = localSettingsView(row);
  if (settings) view.local_settings = settings;
  return view;
}

/**
 * Privet §4.1.2: `current` as the device last reported it, and `pending`, the
 * settings it should apply: those someone asked for, or while nothing waits,
 * `current` itself (clients such as certification tooling read both).
 * Undefined for a printer that never stated local settings (GCP 1.0).
 */
export function localSettingsView(row: Pick<PrintersTable, 'local_settings_current' | 'local_settings_pending'>): { current: unknown; pending: unknown } | undefined {
  if (row.local_settings_current === null && row.local_settings_pending === null) return undefined;
  const current = parse(row.local_settings_current) ?? {};
  return { current, pending: row.local_settings_pending !== null ? parse(row.local_settings_pending) : current };
}

export function extraFields(value: string | undefined): Set<string> {
  return new Set((value ?? '').split(',').map((field) => field.trim()).filter(Boolean));
}

/** Why each of these printers holds its queued jobs back, for those that do (ui-state.ts waitingCause). */
export async function waitingCauses(db: Db, printerIds: string[]): Promise<Map<string, string>> {
  const causes = new Map<string, string>();
  if (!printerIds.length) return causes;
  const rows = await printerQuery(db).where('printers.id', 'in', printerIds).execute();
  for (const row of rows) {
    const cds = JSON.parse(row.semantic_state) as Record<string, unknown>;
    const cause = waitingCause(printerUiState(cds, connectionStatus(row) === 'OFFLINE'));
    if (cause) causes.set(row.id, cause);
  }
  return causes;
}
