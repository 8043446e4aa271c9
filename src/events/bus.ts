// The notification bus: every change a connected device must hear of is
// published here, and whichever node holds the device's connection delivers
// it. The in-process bus serves one node; a Redis-backed bus with the same
// interface carries events between the nodes of a cluster: an event for a
// device session (routingKeysOf) only to the nodes that claimed its routing
// key, the others (revocations, console changes) to every node.
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

/**
 * A stored CCS message carried in its announcement (src/ccs/service/queues.ts
 * rows, as JSON): the node holding the session hands it on without reading
 * the store. Opaque to the bus.
 */
export type CarriedMessage = Readonly<Record<string, string | number | boolean | null>>;

/**
 * A CCS device has downstream messages waiting (see src/ccs). `messages`,
 * when present, are all of them that the announcing node stored; without it
 * the node holding the session reads the store.
 */
export interface DeviceMessageNotification {
  type: 'ccs-device';
  deviceJidLocal: string;
  messages?: CarriedMessage[];
}

/** A CCS sender has upstream messages or receipts waiting (see src/ccs); `messages` as above. */
export interface SenderMessageNotification {
  type: 'ccs-sender';
  senderId: string;
  messages?: CarriedMessage[];
}

/**
 * The event as a bare hint, its carried messages left out: what is kept to
 * publish after an outage (the messages are in the store, and the nodes
 * re-read it on resuming anyway), and what one copy of is enough.
 */
export function withoutMessages(event: BusEvent): BusEvent {
  if ((event.type === 'ccs-device' || event.type === 'ccs-sender') && event.messages) {
    const { messages: _carried, ...hint } = event;
    return hint;
  }
  return event;
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

/**
 * Routing keys name the sessions a node holds: the node that holds one claims
 * its key (NotificationBus.claim), and an event for it goes to that node only.
 */
export const routes = {
  /** An XMPP session subscribed to push notifications (src/cloud/push), by its bare-JID local part. */
  push: (jidLocal: string) => `push:${jidLocal.toLowerCase()}`,
  /** A CCS device session (src/ccs/service/devices.ts), by its JID local part. */
  ccsDevice: (jidLocal: string) => `ccs-device:${jidLocal}`,
  /** A CCS sender's app-server connections (src/ccs/service/appservers.ts). */
  ccsSender: (senderId: string) => `ccs-sender:${senderId}`,
};

/** The routing keys of the sessions an event is for; undefined for an event every node hears. */
export function routingKeysOf(event: BusEvent): string[] | undefined {
  switch (event.type) {
    case 'printer':
      return event.recipients.map(routes.push);
    case 'ccs-device':
      return [routes.ccsDevice(event.deviceJidLocal)];
    case 'ccs-sender':
      return [routes.ccsSender(event.senderId)];
    default:
      return undefined;
  }
}

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
  /**
   * Names this node (--node-id) on the bus, so that events for the routing
   * keys it claims reach it; called once, before the listeners accept sessions.
   */
  join(nodeId: string): Promise<void>;
  /**
   * This node holds a session for `key` (see `routes`): from when the promise
   * resolves, every event published for the key reaches this node. A session
   * claims its key BEFORE it reads the store for what it missed, so what is
   * published after the claim arrives as an event and what was published
   * before is in the store. Claims are counted: the key is released when
   * every claim of it is. Never rejects: with the bus down the claim is
   * registered once it is back, and onResumed handlers run after that.
   */
  claim(key: string): Promise<void>;
  /** One claim of `key` ended (its session closed). */
  release(key: string): void;
  /** Events this node received, by type (ocp_bus_events_received_total): what proves delivery is targeted. */
  readonly received: ReadonlyMap<BusEvent['type'], number>;
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
  readonly received = new Map<BusEvent['type'], number>();

  async publish(event: BusEvent): Promise<void> {
    this.received.set(event.type, (this.received.get(event.type) ?? 0) + 1);
    this.emitter.emit('event', event);
  }

  /** One node holds every session: nothing to route. */
  async join(): Promise<void> {}
  async claim(): Promise<void> {}
  release(): void {}

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
