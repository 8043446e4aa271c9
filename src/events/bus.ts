// The notification bus: every change a connected device must hear of is
// published here, and whichever node holds the device's connection delivers
// it. The in-process bus serves one node; a Redis-backed bus with the same
// interface fans events out to every node of a cluster.
import { EventEmitter } from 'node:events';

/** What a printer is told over the XMPP channel (Privet §4.1.3–4.1.5). */
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

/**
 * Credentials stopped working (src/auth Revocation): every one of an account's
 * (tokens revoked, printer deleted, account deleted), one grant, or one token
 * by its hash. Every node ends the XMPP sessions opened with them.
 */
export interface CredentialsRevokedNotification {
  type: 'credentials-revoked';
  accountId?: string;
  grant?: string;
  tokenHash?: string;
}

/**
 * Something people watching a printer see changed: its state, its jobs or
 * its shares (the web console's event stream, src/web/console-events.ts).
 * A hint to re-read through /cloudprint, it carries no data.
 */
export interface PrinterChangedNotification {
  type: 'printer-changed';
  printerId: string;
  what: 'printer' | 'jobs' | 'sharing';
}

export type BusEvent = PrinterNotification | DeviceMessageNotification | SenderMessageNotification | CredentialsRevokedNotification | PrinterChangedNotification;
export type BusHandler = (event: BusEvent) => void;

export interface NotificationBus {
  /**
   * Never rejects: an event is a hint to re-read the store, so one the bus
   * cannot carry now is kept and sent when the bus is back (src/events/redis-bus.ts).
   */
  publish(event: BusEvent): Promise<void>;
  subscribe(handler: BusHandler): () => void;
  /**
   * `handler` runs when this node's subscription comes back after an outage:
   * events published meanwhile were lost to it, so what it serves must be
   * re-read from the store.
   */
  onResumed(handler: () => void): () => void;
  /** Whether events published now reach every node (the ocp_bus_up gauge). */
  readonly up: boolean;
  close(): Promise<void>;
  /** Resolves if the bus can carry events now, rejects saying why not (for /readyz and `ocp status`). */
  check(): Promise<void>;
  /** One word for `ocp status`: local, or the state of the connection to the shared bus. */
  describe(): string;
}

export class LocalBus implements NotificationBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  readonly up = true;

  async publish(event: BusEvent): Promise<void> {
    this.emitter.emit('event', event);
  }

  subscribe(handler: BusHandler): () => void {
    this.emitter.on('event', handler);
    return () => this.emitter.off('event', handler);
  }

  /** An in-process bus is never down. */
  onResumed(): () => void {
    return () => {};
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
  /**
   * Which of these sessions' credentials still hold (in order): the account
   * exists, and the grant still has a refresh token (an API token: still exists).
   */
  credentialsHold(credentials: readonly SessionCredentials[]): Promise<boolean[]>;
  /** The account's push channel opened at `at` (a session subscribed): its printers are connected. */
  channelOpened(jidLocal: string, at: number): Promise<void>;
  /**
   * The account's last session on this node, subscribed at `openedAt`, closed
   * at `at`. Its printers are disconnected unless a session opened later
   * (here or on another node: a device reconnecting before the server
   * noticed its old connection die) is their channel now.
   */
  channelClosed(jidLocal: string, openedAt: number, at: number): Promise<void>;
}

/** What a live XMPP session logged in with. */
export interface SessionCredentials {
  accountId: string;
  /** The token's grant (token family); null for an API token. */
  grant: string | null;
  tokenHash: string;
}
