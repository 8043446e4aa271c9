// What the /cloudprint routes work with, and the notifications they send:
// to a printer's device (notifyDevice) and to whoever watches the printer
// (printerChanged).
import type { Accounts } from '../auth/accounts.ts';
import type { ServerConfig } from '../config.ts';
import type { PrinterChangedNotification, PrinterNotification, NotificationBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { Db } from '../store/db.ts';
import type { DocumentConverter } from './conversion/index.ts';
import type { DocumentStore } from './documents.ts';
import type { PrinterRow } from './printers.ts';

export interface CloudService {
  db: Db;
  accounts: Accounts;
  bus: NotificationBus;
  documents: DocumentStore;
  /** Converts documents for printers that cannot take their type (cloud/job-conversion.ts). */
  converter: DocumentConverter;
  config: ServerConfig;
  log: Logger;
  /** Base URL clients reach this server at (known only once the HTTP port is bound). */
  publicUrl(): string;
}

/**
 * Tells a printer's device about a change it must act on (Privet §4.1.3–4.1.5):
 * new jobs, pending local settings, deletion. Printers without a robot have
 * nobody to tell. The change is committed before this runs, so a bus that
 * fails (Redis down) is logged, not answered as a failed request that a
 * client would retry (printing a job twice): a device that missed the notice
 * hears of queued jobs and pending settings when it reconnects.
 */
export async function notifyDevice(service: CloudService, printer: Pick<PrinterRow, 'id' | 'robot_jid_local'>, kind: PrinterNotification['kind']): Promise<void> {
  if (!printer.robot_jid_local) return;
  try {
    await service.bus.publish({ type: 'printer', kind, printerId: printer.id, recipients: [printer.robot_jid_local] });
  } catch (error) {
    service.log.error({ err: error, printerId: printer.id, kind }, 'could not notify the device; it catches up when it reconnects');
  }
}

/**
 * Tells whoever watches a printer (the web console's event streams on every
 * node, src/web/console-events.ts) that what they see of it changed: its
 * state, its jobs or its shares. Each operation that changes one calls it
 * once its change is committed, whichever way the change came (/cloudprint,
 * IPP, a conversion, the sweep, the push channel), with the printer it knows
 * already. A hint to re-read, it carries no data; it neither waits for the
 * bus nor fails the change (a bus that is down keeps it, src/events/bus.ts).
 */
export function printerChanged(service: Pick<CloudService, 'bus' | 'log'>, printerId: string, what: PrinterChangedNotification['what']): void {
  service.bus.publish({ type: 'printer-changed', printerId, what }).catch((error: Error) => service.log.warn({ err: error.message, printerId, what }, 'could not publish a printer change'));
}
