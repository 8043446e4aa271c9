// register, update, list, search, printer, delete [GCP §a, §b].
import { requireRole, type Caller } from '../access.ts';
import { WindowLimiter } from '../../limits/window-limiter.ts';
import { CloudError } from '../errors.ts';
import { checkTags, localSettingsColumns, printerColumns, updatedTags } from '../printer-fields.ts';
import {
  DEFAULT_SEMANTIC_STATE, deletePrinter, extraFields, getPrinter, insertPrinter, localSettingsView, newPrinterId, ownerFor, parseTags, printerView, queuedJobCounts, robotInUse, updatePrinter,
  visiblePrinters, type PrinterRow,
} from '../printers.ts';
import { claimTokenHash, newClaimToken, registrationUrls } from '../registration.ts';
import type { CloudCall, CloudResult, CloudRoute } from '../route-table.ts';
import { notifyDevice, printerChanged, type CloudService } from '../service.ts';
import type { Params } from '../params.ts';
import type { PrintersTable } from '../../store/tables/cloud.ts';
import type { Db } from '../../store/db.ts';
import { deleteJobsOf } from '../jobs.ts';

const ACCESS_TIME_RESOLUTION_MS = 60_000;

const isDevice = (printer: Pick<PrinterRow, 'robot_id'>, caller: Caller) => printer.robot_id === caller.account.id;
const isRobot = (caller: Caller) => caller.account.kind === 'robot';

/**
 * register: with a robot or user token the printer is owned at once; without
 * one it waits to be claimed (GCP §b B2), and such anonymous registrations
 * are bounded per source address by `anonymousRegistrations`.
 */
export async function registerPrinter({ service, params, caller, address }: CloudCall<Caller | undefined>, anonymousRegistrations: WindowLimiter): Promise<CloudResult> {
  if (!caller && !anonymousRegistrations.take(address)) {
    throw new CloudError('TOO_MANY_REGISTRATIONS', `Too many anonymous registrations from ${address}; try again in a minute`);
  }
  const { db } = service;
  const columns = printerColumns(params);
  if (!columns.name) throw new CloudError('MISSING_PARAMETER', 'Missing parameter: name (or printer)');
  if (!columns.capabilities) throw new CloudError('MISSING_PARAMETER', 'Missing parameter: capabilities');
  const now = Date.now();
  const row: PrintersTable = {
    id: newPrinterId(),
    owner_id: caller ? await ownerFor(db, caller) : null,
    robot_id: caller && isRobot(caller) ? caller.account.id : null,
    proxy: null, uuid: null, default_display_name: null, manufacturer: null, model: null, gcp_version: null,
    setup_url: null, support_url: null, update_url: null, firmware: null, caps_hash: null, certification_id: null,
    semantic_state: JSON.stringify(DEFAULT_SEMANTIC_STATE),
    notification_channel: 'XMPP_CHANNEL',
    local_settings_current: null,
    local_settings_pending: null,
    ...columns,
    name: columns.name,
    capabilities: columns.capabilities,
    tags: JSON.stringify(checkTags(params.all('tag'))),
    // The registering device states its own current settings (Privet §4.1.1).
    ...(localSettingsColumns(params, true) ?? {}),
    registration_token_hash: null,
    registration_expires_at: caller ? null : now + service.config.registrationTtlSeconds * 1000,
    created_at: now,
    updated_at: now,
    accessed_at: now,
  };
  let token: string | undefined;
  for (let attempt = 0; ; attempt++) {
    token = caller ? undefined : newClaimToken();
    row.registration_token_hash = token ? claimTokenHash(token) : null;
    try {
      await insertPrinter(db, row);
      break;
    } catch (error) {
      // A claim-token collision with another waiting printer: draw again.
      if (!token || attempt >= 5) throw error;
    }
  }
  const printer = await getPrinter(db, row.id);
  service.log.info({ printerId: row.id, account: caller?.account.id, ip: address, claimed: !token }, 'printer registered');
  // A printer waiting to be claimed is nobody's to watch yet (its claim tells them).
  if (!token) printerChanged(service, row.id, 'printer');
  const view = printerView(printer, { forProxy: true, capabilities: true, extraFields: new Set() });
  if (!token) return { message: 'Printer registered successfully.', printers: [view] };
  return {
    message: 'Printer registered; waiting to be claimed.',
    printers: [view],
    registration_token: token,
    token_duration: String(service.config.registrationTtlSeconds),
    ...registrationUrls(service.publicUrl(), token, row.id),
  };
}

export async function updatePrinterFields({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const { db } = service;
  const printer = await getPrinter(db, params.require('printerid'));
  const role = await requireRole(db, printer, caller, 'MANAGER');
  const device = role === 'DEVICE';
  const settings = localSettingsColumns(params, device);
  const tags = updatedTags(parseTags(printer.tags), params);
  const changes = { ...printerColumns(params), ...settings, ...(tags ? { tags: JSON.stringify(tags) } : {}), updated_at: Date.now() };
  await updatePrinter(db, printer.id, changes);
  printerChanged(service, printer.id, 'printer');
  if (settings && !device) await notifyDevice(service, printer, 'update_settings');
  // Privet §4.1.3: the reply shows the settings as they now stand.
  const localSettings = localSettingsView(await getPrinter(db, printer.id));
  return { message: 'Printer updated successfully', ...(localSettings ? { local_settings: localSettings } : {}) };
}

export async function listPrinters({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const printers = await visiblePrinters(service.db, caller, { proxy: params.get('proxy') });
  return { printers: await views(service, printers, caller, params) };
}

export async function searchPrinters({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const printers = await visiblePrinters(service.db, caller, { q: params.get('q') });
  return { printers: await views(service, printers, caller, params) };
}

export async function showPrinter({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const { db } = service;
  const id = params.require('printerid');
  const printer = await findOrGone(db, id);
  await requireRole(db, printer, caller, 'USER');
  // The device's last contact, written at most once a minute (a write per poll would cost more than the poll).
  const now = Date.now();
  if (isDevice(printer, caller) && now - printer.accessed_at > ACCESS_TIME_RESOLUTION_MS) {
    await updatePrinter(db, id, { accessed_at: now });
  }
  return { printers: await views(service, [printer], caller, params, true) };
}

export async function deletePrinterAndJobs({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const { db } = service;
  const printer = await getPrinter(db, params.require('printerid'));
  await requireRole(db, printer, caller, 'OWNER');
  await deleteJobsOf(service, printer.id);
  await deletePrinter(db, printer.id);
  printerChanged(service, printer.id, 'printer');
  await notifyDevice(service, printer, 'delete');
  if (printer.robot_id) await retireRobot(service, printer.robot_id);
  return { message: 'Printer deleted successfully' };
}

/**
 * A claimed printer's robot that has no printer left stops getting tokens:
 * until its access tokens expire they still let the device read that its
 * printer is gone (Privet §4.1.5), but it cannot stay signed in for good.
 * A connector's robot (`createrobot`) serves its user, printers or not.
 */
async function retireRobot(service: CloudService, robotId: string): Promise<void> {
  if (!(await robotInUse(service.db, robotId))) await service.accounts.revokeRefreshTokens(robotId);
}

/**
 * Privet §4.1.5: a deleted printer's device gets a successful HTTP reply
 * with success=false and no printer, so `printer` answers 200 here.
 */
async function findOrGone(db: Db, id: string): Promise<PrinterRow> {
  try {
    return await getPrinter(db, id);
  } catch (error) {
    if (error instanceof CloudError) throw new CloudError('PRINTER_NOT_FOUND', error.message, 200);
    throw error;
  }
}

async function views(service: CloudService, printers: PrinterRow[], caller: Caller, params: Params, capabilities = false) {
  const fields = extraFields(params.get('extra_fields'));
  const counts = fields.has('queuedJobsCount') ? await queuedJobCounts(service.db, printers.map((p) => p.id)) : undefined;
  return printers.map((printer) => printerView(printer, { forProxy: isRobot(caller), capabilities, extraFields: fields, queuedJobsCount: counts ? (counts.get(printer.id) ?? 0) : undefined }));
}

export function printerRoutes(service: CloudService): CloudRoute[] {
  // Anonymous registrations create rows nobody owns yet: bounded per source address.
  const anonymousRegistrations = new WindowLimiter(service.config.anonymousRegistrationsPerMinute);
  return [
    {
      path: 'register',
      auth: 'optional',
      summary: 'Registers a printer: with a robot or user token it is owned at once; without one it waits to be claimed (anonymous registration).',
      params: {
        name: { help: 'printer name (the connector\'s sync key); `printer` is accepted too' },
        capabilities: { required: true, help: 'CDD JSON' },
        use_cdd: { help: 'must be true when given' },
        default_display_name: { help: 'display name' },
        proxy: { help: 'proxy (connector) id' },
        uuid: { help: 'stable device uuid' },
        semantic_state: { help: 'CDS JSON; an empty version is accepted' },
        tag: { help: 'repeated tags, e.g. __cp__key=value' },
        local_settings: { help: 'Privet §4.1.1 {"current":{...}}' },
        'manufacturer, model, gcp_version, setup_url, support_url, update_url, firmware, capsHash, notification_channel': { help: 'description fields' },
        certification_id: { help: 'the device\'s printer certification id; returned as certificationId' },
      },
      handle: (call) => registerPrinter(call, anonymousRegistrations),
    },
    {
      path: 'update',
      auth: 'required',
      summary: 'Changes a printer\'s description, state, tags or local settings.',
      params: {
        printerid: { required: true, help: 'the printer' },
        remove_tag: { help: 'repeated patterns (`.*` matches anything, the rest is literal); matching tags are removed before `tag`s are added' },
        local_settings: { help: 'from the device: {"current":{...}}; from anyone else it becomes pending; `{}` changes nothing (the reply shows current and pending)' },
        '(register fields)': { help: 'any field of register' },
      },
      handle: updatePrinterFields,
    },
    {
      path: 'list',
      auth: 'required',
      proximity: true,
      summary: 'The caller\'s printers (a robot: those it is the device of, optionally of one proxy).',
      params: { proxy: { help: 'only printers of this proxy' }, extra_fields: { help: 'queuedJobsCount, semanticState, uiState, -tags (connectionStatus is always included)' } },
      handle: listPrinters,
    },
    {
      path: 'search',
      auth: 'required',
      proximity: true,
      summary: 'Printers the caller may use, optionally matching a text.',
      params: { q: { help: 'text in the name or display name' }, extra_fields: { help: 'as for list' } },
      handle: searchPrinters,
    },
    {
      path: 'printer',
      auth: 'required',
      proximity: true,
      summary: 'One printer with capabilities, semantic state and local settings.',
      params: {
        printerid: { required: true, help: 'the printer' },
        use_cdd: { help: 'accepted; capabilities are always CDD' },
        extra_fields: { help: 'queuedJobsCount, semanticState, uiState, -tags (connectionStatus is always included)' },
      },
      handle: showPrinter,
    },
    {
      path: 'delete',
      auth: 'required',
      summary: 'Deletes a printer, its jobs and their documents; the device is told.',
      params: { printerid: { required: true, help: 'the printer' } },
      handle: deletePrinterAndJobs,
    },
  ];
}
