// What the /cloudprint routes work with, and the notifications they send.
import type { Accounts } from '../auth/accounts.ts';
import type { ServerConfig } from '../config.ts';
import type { PrinterNotification, NotificationBus } from '../events/bus.ts';
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
