// The notification bus: every change a connected device must hear of is
// published here, and whichever node holds the device's connection delivers
// it. The in-process bus serves one node; a Redis-backed bus with the same
// interface fans events out to every node of a cluster.
import { EventEmitter } from 'node:events';

/** What a printer is told over the XMPP channel (seed 002 §4.1.3–4.1.5). */
export interface PrinterNotification {
  type: 'printer';
  /** `jobs` = new job queued; `update_settings` = pending local settings changed; `delete` = printer deleted. */
  kind: 'jobs' | 'update_settings' | 'delete';
  printerId: string;
  /** Bare-JID local parts of the accounts (robots) that must be told. */
  recipients: string[];
}

/** A CCS device has a downstream message waiting (see src/ccs). */
export interface DeviceMessageNotification {
  type: 'ccs-device';
  deviceJidLocal: string;
}

/** A CCS sender has upstream messages or receipts waiting (see src/ccs). */
export interface SenderMessageNotification {
  type: 'ccs-sender';
  senderId: string;
}

export type BusEvent = PrinterNotification | DeviceMessageNotification | SenderMessageNotification;
export type BusHandler = (event: BusEvent) => void;

export interface NotificationBus {
  publish(event: BusEvent): Promise<void>;
  subscribe(handler: BusHandler): () => void;
  close(): Promise<void>;
  /** Resolves if the bus can carry events now, rejects saying why not (for /readyz and `ocp status`). */
  check(): Promise<void>;
  /** One word for `ocp status`: local, or the state of the connection to the shared bus. */
  describe(): string;
}

export class LocalBus implements NotificationBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(event: BusEvent): Promise<void> {
    this.emitter.emit('event', event);
  }

  subscribe(handler: BusHandler): () => void {
    this.emitter.on('event', handler);
    return () => this.emitter.off('event', handler);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }

  async check(): Promise<void> {}

  describe(): string {
    return 'local';
  }
}

/**
 * What the XMPP push channel needs to know about an account's printers; the
 * cloud service implements it (src/cloud), the XMPP channel consumes it.
 */
export interface PushDirectory {
  /** Notifications an account missed while offline: printers with queued jobs or pending local settings. */
  missedNotifications(jidLocal: string): Promise<PrinterNotification[]>;
  /** The ping interval (seconds) from `local_settings.current.xmpp_timeout_value` of the account's printers, if set. */
  pingIntervalSeconds(jidLocal: string): Promise<number | undefined>;
}
