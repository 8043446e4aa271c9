// The device side of the CCS: devices hold an XMPP session on the c2s
// listeners; downstream messages reach them as <gcm> messages they ACK, and
// they send upstream messages the server ACKs once stored. Un-ACKed downstream
// stays in the store and is sent again on the next session. In a cluster a
// session claims its device's routing key on the bus (routes.ccsDevice), so
// messages stored on other nodes are announced to this node only while it
// holds a session of the device. The announcement carries the stored rows
// (up to `maxPending` of them), which that node hands to the session as a
// local delivery would: the store is read when a session attaches, after a
// bus outage, and for an announcement without its rows — at most one read in
// flight per session, plus one more if asked for meanwhile.
import type { Logger } from '../../log.ts';
import { routes, type CarriedMessage, type NotificationBus } from '../../events/bus.ts';
import { ACK_GATHER_MS, GroupCommit } from './group-commit.ts';
import { QueueReads } from './queue-reads.ts';
import type { DownstreamRow, MessageQueues, UpstreamRow } from './queues.ts';
import type { Registrations } from './registrations.ts';
import { InvalidMessage, MAX_TTL_SECONDS, missingField, nackJson, parseJsonObject, RECEIPT_PREFIX, receiptJson, refuseNulFields, REJECTIONS, timeToLive, type Rejection } from './messages.ts';
import { expiryOf, type GcmLink } from './links.ts';
import type { CcsCounters } from './counters.ts';

/** Upstream messages live a day unless the device says otherwise (§4.6: 0..24 h in 2015). */
const DEFAULT_UPSTREAM_TTL_SECONDS = 86_400;

/**
 * How long the id of a message read from the store and ACKed is remembered,
 * in case its announcement (carrying it) arrives after the ACK: a message
 * stored after the session's claim and before its read is in both. Carried
 * rows only travel in an announcement published at once (one kept through
 * an outage carries none: bus.ts withoutMessages), so it arrives within
 * Redis's delivery time; a subscriber lagging minutes behind is cut off by
 * Redis's pub/sub output limits and re-reads the store on resuming.
 */
export const CARRIED_ROWS_WINDOW_MS = 120_000;

export interface DeviceIdentity {
  accountId: string;
  jidLocal: string;
}

export class DeviceSession {
  /** Sent, not yet ACKed. */
  readonly inflight = new Map<string, DownstreamRow>();
  /** Known and not yet sent, in delivery order. */
  backlog: DownstreamRow[] = [];
  /** Every row id in `inflight` or `backlog` (or ACKed and being deleted), so nothing is sent twice. */
  readonly known = new Set<string>();
  /** A device that said it is idle gets no delay_while_idle messages (§3). */
  idle = false;
  upstreamPending = 0;
  closed = false;
  /** Its reads from the store (./queue-reads.ts). */
  readonly reads = new QueueReads();
  /** Ids read from the store and ACKed, by when: their announcement may still come (CARRIED_ROWS_WINDOW_MS). */
  readonly ackedBeforeAnnounced = new Map<string, number>();

  constructor(
    readonly identity: DeviceIdentity,
    readonly link: GcmLink,
  ) {}
}

export interface DeviceHubOptions {
  queues: MessageQueues;
  registrations: Registrations;
  bus: NotificationBus;
  log: Logger;
  domain: string;
  /** Un-ACKed messages per session and direction. */
  maxPending: number;
  /** Deepest JSON nesting accepted in a `<gcm>` payload (--max-json-depth). */
  maxJsonDepth: number;
  /** Called with receipts and upstream messages once stored, for the app servers. */
  forApps(rows: UpstreamRow[]): void;
  counters: CcsCounters;
  now?: () => number;
}

export class DeviceHub {
  private readonly sessions = new Map<string, DeviceSession[]>();
  /** Rows read from the store (not handed over by a local delivery or an announcement). */
  private readonly readFromStore = new WeakSet<DownstreamRow>();
  /** Upstream messages stored and ACKed to their devices in this pass of the microtask queue (forApps). */
  private toApps: UpstreamRow[] = [];
  private readonly acks: GroupCommit<DownstreamRow, undefined>;
  /** Stores upstream messages; true for each row stored now, false for a resend of one stored before. */
  private readonly upstream: GroupCommit<UpstreamRow, boolean>;
  private readonly now: () => number;
  private readonly unsubscribe: Array<() => void>;
  /** Set by `drain`: nothing more is sent to devices; `drained` runs once the last ACK arrives. */
  private draining = false;
  private drained: (() => void) | undefined;

  constructor(private readonly options: DeviceHubOptions) {
    this.now = options.now ?? Date.now;
    // A message being deleted is ACKed: a session loading meanwhile must not send it again (acks.writing).
    this.acks = new GroupCommit(async (rows) => {
      const receipts = rows.filter((row) => row.receipt_requested).map((row) => this.receiptFor(row));
      await options.queues.completeDownstream(
        rows.map((row) => row.id),
        receipts,
      );
      if (receipts.length) options.forApps(receipts);
      return rows.map(() => undefined);
    }, { gatherMs: ACK_GATHER_MS, keyOf: (row) => row.id });
    this.upstream = new GroupCommit(async (rows) => {
      const stored = await options.queues.insertUpstream(rows);
      return rows.map((row) => stored.has(row.id));
    });
    // Another node stored a message for a device whose session is here.
    this.unsubscribe = [
      options.bus.subscribe((event) => {
        if (event.type !== 'ccs-device') return;
        const session = this.current(event.deviceJidLocal);
        if (!session) return;
        if (event.messages) this.takeCarried(session, event.messages as unknown as DownstreamRow[]);
        else this.load(session);
      }),
      // The bus was down: announcements for devices here may be lost; their messages wait in the store.
      options.bus.onResumed(() => {
        for (const list of this.sessions.values()) this.load(list.at(-1)!);
      }),
    ];
  }

  attach(identity: DeviceIdentity, link: GcmLink): DeviceSession {
    const session = new DeviceSession(identity, link);
    const list = this.sessions.get(identity.jidLocal) ?? [];
    list.push(session);
    this.sessions.set(identity.jidLocal, list);
    void this.claimThenLoad(session);
    return session;
  }

  /**
   * The store is read for pending messages only once the bus routes the
   * device's announcements here: a message stored later is announced to this
   * node, one stored earlier is in what load() reads (NotificationBus.claim).
   */
  private async claimThenLoad(session: DeviceSession): Promise<void> {
    await this.options.bus.claim(routes.ccsDevice(session.identity.jidLocal));
    this.load(session);
  }

  detach(session: DeviceSession): void {
    if (session.closed) return;
    session.closed = true;
    this.options.bus.release(routes.ccsDevice(session.identity.jidLocal));
    const list = (this.sessions.get(session.identity.jidLocal) ?? []).filter((s) => s !== session);
    if (list.length) this.sessions.set(session.identity.jidLocal, list);
    else this.sessions.delete(session.identity.jidLocal);
    // What this session had in flight now goes to the account's other session, if any.
    const next = list.at(-1);
    if (next && session.inflight.size) this.load(next);
    // The device's session on another node (reconnected before this one
    // went) was never told of what was stored here: it hears it now.
    if (!next) this.announce(session.identity.jidLocal, [...session.inflight.values(), ...session.backlog]);
    this.checkDrained();
  }

  isOnline(jidLocal: string, forDelayWhileIdle = false): boolean {
    const session = this.current(jidLocal);
    return session !== undefined && !(forDelayWhileIdle && session.idle);
  }

  /** The session that receives messages: the account's newest. */
  private current(jidLocal: string): DeviceSession | undefined {
    return this.sessions.get(jidLocal)?.at(-1);
  }

  /** Hands freshly stored messages to their devices' sessions (here, or on another node via the bus). */
  deliver(rows: readonly DownstreamRow[]): void {
    const touched = new Set<DeviceSession>();
    const elsewhere = new Map<string, DownstreamRow[]>();
    for (const row of rows) {
      const session = this.current(row.jid_local);
      if (!session) {
        const list = elsewhere.get(row.jid_local);
        if (list) list.push(row);
        else elsewhere.set(row.jid_local, [row]);
        continue;
      }
      this.enqueue(session, [row]);
      touched.add(session);
    }
    for (const session of touched) this.pump(session);
    // One announcement per device and batch, carrying the rows unless there
    // are more than a session may have in flight (each is at most a message's
    // size, messages.ts): then the node holding the session reads the store.
    // publish never rejects: with the bus down the rows wait in the store (NotificationBus.publish).
    for (const [jidLocal, stored] of elsewhere) this.announce(jidLocal, stored);
  }

  private announce(jidLocal: string, rows: readonly DownstreamRow[]): void {
    if (!rows.length) return;
    const messages = rows.length <= this.options.maxPending ? (rows as unknown as CarriedMessage[]) : undefined;
    void this.options.bus.publish({ type: 'ccs-device', deviceJidLocal: jidLocal, ...(messages && { messages }) });
  }

  /**
   * Rows another node stored and announced: like a local delivery, but for
   * those this session already had and were ACKed meanwhile (read from the
   * store by a load that overtook the announcement, or ACKed while a load is
   * in flight).
   */
  private takeCarried(session: DeviceSession, rows: readonly DownstreamRow[]): void {
    const now = this.now();
    for (const [id, at] of session.ackedBeforeAnnounced) {
      if (at > now - CARRIED_ROWS_WINDOW_MS) break;
      session.ackedBeforeAnnounced.delete(id);
    }
    this.enqueue(session, rows.filter((row) => !this.acks.writing(row.id) && !session.reads.ackedWhileLoading.has(row.id) && !session.ackedBeforeAnnounced.delete(row.id)));
    this.pump(session);
  }

  setIdle(session: DeviceSession, idle: boolean): void {
    session.idle = idle;
    if (!idle) this.pump(session);
  }

  /**
   * Reads what is pending for the session's device from the store (one
   * read in flight at a time: ./queue-reads.ts).
   */
  private load(session: DeviceSession): void {
    session.reads.request(async () => {
      try {
        const rows = await this.options.queues.pendingDownstream(session.identity.jidLocal);
        if (session.closed) return;
        for (const row of rows) this.readFromStore.add(row);
        this.enqueue(session, rows.filter((row) => !session.reads.ackedWhileLoading.has(row.id) && !this.acks.writing(row.id)));
        this.pump(session);
      } catch (error) {
        this.options.log.error({ err: error, device: session.identity.jidLocal }, 'ccs: loading queued messages failed');
      }
    }, () => !session.closed);
  }

  private enqueue(session: DeviceSession, rows: readonly DownstreamRow[]): void {
    let added = false;
    for (const row of rows) {
      if (session.known.has(row.id)) continue;
      // §3 collapse_key: the newest replaces older ones not yet sent.
      if (row.collapse_key !== null) {
        session.backlog = session.backlog.filter((old) => {
          const replaced = old.registration_id === row.registration_id && old.collapse_key === row.collapse_key && old.created_at <= row.created_at;
          if (replaced) session.known.delete(old.id);
          return !replaced;
        });
      }
      session.known.add(row.id);
      session.backlog.push(row);
      added = true;
    }
    // §3 priority: high before normal, then oldest first.
    if (added) session.backlog.sort((a, b) => b.priority - a.priority || a.created_at - b.created_at);
  }

  private pump(session: DeviceSession): void {
    if (session.closed || this.draining) return;
    const now = this.now();
    const held: DownstreamRow[] = [];
    while (session.inflight.size < this.options.maxPending && session.backlog.length) {
      const row = session.backlog.shift()!;
      if (row.expires_at <= now) {
        session.known.delete(row.id);
        continue;
      }
      if (session.idle && row.delay_while_idle) {
        held.push(row);
        continue;
      }
      session.inflight.set(row.id, row);
      session.link.sendGcm(row.payload);
      this.options.counters.count('device', 'out', 'message');
    }
    if (held.length) session.backlog.unshift(...held);
  }

  /** A `<gcm>` payload the device sent: an ACK of a downstream message, or an upstream message. */
  receive(session: DeviceSession, text: string): void {
    let json: Record<string, unknown>;
    try {
      json = parseJsonObject(text, this.options.maxJsonDepth);
    } catch (error) {
      return this.nack(session, '', { code: 'INVALID_JSON', description: `InvalidJson: JSON_PARSING_ERROR : ${(error as Error).message}` });
    }
    if (json.message_type === 'ack') this.ack(session, json.message_id);
    else if (json.message_type === undefined) {
      this.options.counters.count('device', 'in', 'message');
      void this.fromDevice(session, json);
    }
    // Our device protocol's stand-in for the phone's screen state (delay_while_idle).
    else if (json.message_type === 'control' && json.control_type === 'DEVICE_IDLE') this.setIdle(session, true);
    else if (json.message_type === 'control' && json.control_type === 'DEVICE_ACTIVE') this.setIdle(session, false);
  }

  private ack(session: DeviceSession, messageId: unknown): void {
    this.options.counters.count('device', 'in', 'ack');
    const row = typeof messageId === 'string' ? session.inflight.get(messageId) : undefined;
    if (!row) {
      if (typeof messageId !== 'string') this.nack(session, '', { code: 'BAD_ACK', description: 'ACK without a message_id' });
      return;
    }
    session.inflight.delete(row.id);
    this.acks.add(row, (error) => {
      if (error !== null) return this.options.log.error({ err: error }, 'ccs: storing a device ACK failed');
      session.known.delete(row.id);
      session.reads.acked(row.id);
      if (this.readFromStore.has(row)) session.ackedBeforeAnnounced.set(row.id, this.now());
    });
    this.pump(session);
    this.checkDrained();
  }

  private nack(session: DeviceSession, messageId: string, rejection: Rejection): void {
    session.link.sendGcm(JSON.stringify(nackJson(undefined, messageId, rejection)));
    this.options.counters.count('device', 'out', 'nack');
  }

  /** §4.6: an upstream message, `to` = `SENDER_ID@…`; ACKed once stored. */
  private async fromDevice(session: DeviceSession, json: Record<string, unknown>): Promise<void> {
    const messageId = typeof json.message_id === 'string' ? json.message_id : '';
    let ttl: number;
    try {
      if (!messageId) missingField('message_id');
      if (typeof json.to !== 'string') missingField('to');
      refuseNulFields(json);
      ttl = timeToLive(json, DEFAULT_UPSTREAM_TTL_SECONDS);
    } catch (error) {
      if (error instanceof InvalidMessage) return this.nack(session, messageId, error.rejection);
      throw error;
    }
    if (session.upstreamPending >= this.options.maxPending) return this.nack(session, messageId, REJECTIONS.unavailable('Too many pending upstream messages'));
    session.upstreamPending++;
    try {
      const senderId = (json.to as string).split('@')[0]!;
      const registration = await this.options.registrations.activeFor(session.identity.accountId, senderId);
      if (!registration) return this.nack(session, messageId, { code: 'BAD_REGISTRATION', description: `Not registered for sender ${senderId}` });
      const now = this.now();
      const row: UpstreamRow = {
        id: `u:${registration.registration_id}:${messageId}`,
        sender_id: senderId,
        message_id: messageId,
        kind: 'upstream',
        payload: JSON.stringify({ category: registration.app, data: json.data ?? {}, message_id: messageId, from: registration.registration_id }),
        expires_at: expiryOf(now, ttl),
        created_at: now,
      };
      const stored = await this.upstream.submit(row);
      if (!session.closed) {
        session.link.sendGcm(JSON.stringify({ message_type: 'ack', message_id: messageId }));
        this.options.counters.count('device', 'out', 'ack');
      }
      // A resend (the device saw no ACK) of a message stored before is ACKed again, not offered again.
      if (stored) this.forApps(row);
    } catch (error) {
      this.options.log.error({ err: error }, 'ccs: storing an upstream message failed');
      this.nack(session, messageId, REJECTIONS.internal());
    } finally {
      session.upstreamPending--;
    }
  }

  /**
   * Hands stored upstream messages to the app servers after their ACKs to
   * the devices are written, by the batch: the rows of one group commit are
   * ACKed in one pass of the microtask queue, so one announcement per sender
   * and batch goes to a sender on another node. ACK first: a node that dies
   * in between leaves the device un-ACKed and the app server without the
   * message; the device's resend is then stored once (its row still exists)
   * and delivered once. Announced first, the app server could ACK it (the
   * row deleted) before the resend stores it again.
   */
  private forApps(row: UpstreamRow): void {
    this.toApps.push(row);
    if (this.toApps.length > 1) return;
    queueMicrotask(() => {
      const rows = this.toApps;
      this.toApps = [];
      this.options.forApps(rows);
    });
  }

  private receiptFor(row: DownstreamRow): UpstreamRow {
    const app = (JSON.parse(row.payload) as { category: string }).category;
    const now = this.now();
    return {
      id: `r:${row.id}`,
      sender_id: row.sender_id,
      message_id: RECEIPT_PREFIX + row.message_id,
      kind: 'receipt',
      payload: JSON.stringify(receiptJson({ domain: this.options.domain, app, messageId: row.message_id, registrationId: row.registration_id, sentAt: now })),
      expires_at: expiryOf(now, MAX_TTL_SECONDS),
      created_at: now,
    };
  }

  /**
   * A node shutting down: sends its devices nothing more and waits, at most
   * `graceMs`, for the ACKs of what they were sent, then stores them. An ACK
   * still on its way when the stream ends is lost with it, and the message
   * goes to the device again on its next session (CCS "Message Format": what
   * is not ACKed is resent): a rolling restart would deliver it twice.
   */
  async drain(graceMs: number): Promise<void> {
    this.draining = true;
    if (this.inflight() > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.drained = undefined;
    }
    await this.flush();
  }

  private inflight(): number {
    let count = 0;
    for (const list of this.sessions.values()) for (const session of list) count += session.inflight.size;
    return count;
  }

  private checkDrained(): void {
    if (this.drained && this.inflight() === 0) this.drained();
  }

  /** Waits until every ACK and upstream message received so far is stored. */
  async flush(): Promise<void> {
    await Promise.all([this.acks.idle(), this.upstream.idle()]);
  }

  close(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    for (const list of this.sessions.values()) {
      for (const session of list) {
        session.closed = true;
        this.options.bus.release(routes.ccsDevice(session.identity.jidLocal));
      }
    }
    this.sessions.clear();
  }
}
