// The app-server side of the CCS: each authenticated connection of a sender
// sends downstream requests (ACKed or NACKed once decided), ACKs what it
// receives, and receives upstream messages and receipts — at most
// `maxPending` un-ACKed per connection in each direction (§5). ACKs count
// only on the connection that received the message; what a connection leaves
// un-ACKed goes to the sender's next connection until it expires. In a
// cluster each connection claims its sender's routing key on the bus
// (routes.ccsSender), so upstream messages and receipts stored on other
// nodes are announced to this node only while it holds a connection of the
// sender. The announcement carries the stored rows (up to `maxPending`), as
// for devices (./devices.ts): the store is read when a connection attaches,
// after a bus outage, and for an announcement without its rows, at most one
// read in flight per sender plus one more if asked for meanwhile.
//
// A node whose connections of the sender are all draining (§4.5) takes no
// announced rows: the app server is moving to a new connection, which has
// claimed the sender's key and so hears the same announcement on its node
// (or, not connected yet, reads the rows from the store when it attaches).
// Were both nodes to take them, the app server would get each twice during
// a rolling restart. What the draining connection has in flight when the
// new one attaches is still sent on both: the new node cannot know it is in
// flight elsewhere (CCS allows it: an ACK counts on one connection only).
import type { Logger } from '../../log.ts';
import { routes, type CarriedMessage, type NotificationBus } from '../../events/bus.ts';
import { ACK_GATHER_MS, GroupCommit } from './group-commit.ts';
import { QueueReads } from './queue-reads.ts';
import type { DownstreamPipeline } from './downstream.ts';
import type { MessageQueues, UpstreamRow } from './queues.ts';
import { ackJson, DRAINING_CONTROL, InvalidMessage, nackJson, parseJsonObject, RECEIPT_PREFIX, REJECTIONS, stanzaErrorText, validateDownstream, type DownstreamRequest, type Rejection } from './messages.ts';
import type { GcmLink } from './links.ts';
import type { CcsCounters } from './counters.ts';
import { CARRIED_ROWS_WINDOW_MS } from './devices.ts';

export class AppConnection {
  /** Upstream messages and receipts sent on this connection, by message_id, awaiting the app's ACK. */
  readonly inflight = new Map<string, UpstreamRow>();
  /** Downstream requests received, not yet ACKed or NACKed. */
  pendingDownstream = 0;
  draining = false;
  closed = false;
  /** Settles when the connection is gone. */
  readonly gone: Promise<void>;
  resolveGone!: () => void;

  constructor(
    readonly senderId: string,
    readonly link: GcmLink,
  ) {
    this.gone = new Promise((resolve) => (this.resolveGone = resolve));
  }
}

/** What the XMPP glue must do with a `<gcm>` payload it could not hand on. */
export type ReceiveResult = { stanzaError: string } | undefined;

interface SenderState {
  connections: AppConnection[];
  /** Stored messages not yet sent on any connection, oldest first. */
  backlog: UpstreamRow[];
  /** Ids in `backlog` or in some connection's `inflight`. */
  known: Set<string>;
  /** Its reads from the store (./queue-reads.ts). */
  reads: QueueReads;
  /** Ids read from the store and ACKed, by when: their announcement may still come (devices.ts CARRIED_ROWS_WINDOW_MS). */
  ackedBeforeAnnounced: Map<string, number>;
}

export interface AppServerHubOptions {
  queues: MessageQueues;
  bus: NotificationBus;
  downstream: DownstreamPipeline;
  log: Logger;
  maxPending: number;
  /** Deepest JSON nesting accepted in a `<gcm>` payload (--max-json-depth). */
  maxJsonDepth: number;
  /** How long a draining connection may stay open. */
  drainGraceMs: number;
  counters: CcsCounters;
  now?: () => number;
}

export class AppServerHub {
  private readonly senders = new Map<string, SenderState>();
  private readonly acks: GroupCommit<string, undefined>;
  private readonly now: () => number;
  private readonly unsubscribe: Array<() => void>;
  /** Rows read from the store (not handed over by a local delivery or an announcement). */
  private readonly readFromStore = new WeakSet<UpstreamRow>();

  constructor(private readonly options: AppServerHubOptions) {
    this.now = options.now ?? Date.now;
    // A message being marked is ACKed: the sender's next connection, loading meanwhile, must not get it again (acks.writing).
    this.acks = new GroupCommit(async (ids) => {
      await options.queues.acknowledgeUpstream(ids);
      return ids.map(() => undefined);
    }, { gatherMs: ACK_GATHER_MS, keyOf: (id) => id });
    // Another node stored messages for a sender connected here.
    this.unsubscribe = [
      options.bus.subscribe((event) => {
        if (event.type !== 'ccs-sender') return;
        const state = this.senders.get(event.senderId);
        if (!state || state.connections.every((connection) => connection.draining)) return;
        if (event.messages) this.takeCarried(state, event.messages as unknown as UpstreamRow[]);
        else this.load(event.senderId);
      }),
      // The bus was down: announcements for senders here may be lost; their messages wait in the store.
      options.bus.onResumed(() => {
        for (const senderId of this.senders.keys()) this.load(senderId);
      }),
    ];
  }

  attach(senderId: string, link: GcmLink): AppConnection {
    const connection = new AppConnection(senderId, link);
    const state = this.state(senderId);
    state.connections.push(connection);
    // Whatever the sender's earlier connections left un-ACKed (§4.6: resent on the next connection).
    void this.claimThenLoad(senderId);
    return connection;
  }

  /**
   * The store is read only once the bus routes the sender's announcements
   * here: a message stored later is announced to this node, one stored
   * earlier is in what load() reads (NotificationBus.claim).
   */
  private async claimThenLoad(senderId: string): Promise<void> {
    await this.options.bus.claim(routes.ccsSender(senderId));
    if (this.senders.has(senderId)) this.load(senderId);
  }

  detach(connection: AppConnection): void {
    if (connection.closed) return;
    connection.closed = true;
    connection.resolveGone();
    this.options.bus.release(routes.ccsSender(connection.senderId));
    const state = this.state(connection.senderId);
    state.connections = state.connections.filter((c) => c !== connection);
    state.backlog.unshift(...connection.inflight.values());
    state.backlog.sort((a, b) => a.created_at - b.created_at);
    connection.inflight.clear();
    if (state.connections.length) return this.pump(state);
    this.senders.delete(connection.senderId);
    // The sender's connection on another node (reconnected before this one
    // went) was never told of what was stored here: it hears it now.
    this.announce(connection.senderId, state.backlog);
  }

  /** Rows for a sender's connections on other nodes: carried unless more than a connection may have in flight (devices.ts deliver). */
  private announce(senderId: string, rows: readonly UpstreamRow[]): void {
    if (!rows.length) return;
    const messages = rows.length <= this.options.maxPending ? (rows as unknown as CarriedMessage[]) : undefined;
    // publish never rejects: with the bus down the rows wait in the store (NotificationBus.publish).
    void this.options.bus.publish({ type: 'ccs-sender', senderId, ...(messages && { messages }) });
  }

  connectionCount(): number {
    let count = 0;
    for (const state of this.senders.values()) count += state.connections.length;
    return count;
  }

  private state(senderId: string): SenderState {
    let state = this.senders.get(senderId);
    if (!state) this.senders.set(senderId, (state = { connections: [], backlog: [], known: new Set(), reads: new QueueReads(), ackedBeforeAnnounced: new Map() }));
    return state;
  }

  /**
   * Reads what is pending for the sender from the store (one read in
   * flight at a time: ./queue-reads.ts).
   */
  private load(senderId: string): void {
    const loading = this.state(senderId);
    loading.reads.request(async () => {
      try {
        const rows = await this.options.queues.pendingUpstream(senderId);
        const state = this.senders.get(senderId);
        if (state !== loading) return;
        for (const row of rows) this.readFromStore.add(row);
        this.add(state, rows.filter((row) => !state.reads.ackedWhileLoading.has(row.id) && !this.acks.writing(row.id)));
      } catch (error) {
        this.options.log.error({ err: error, sender: senderId }, 'ccs: loading upstream messages failed');
      }
    }, () => this.senders.get(senderId) === loading);
  }

  /** Rows another node stored and announced: as offer() would, but for those ACKed meanwhile (devices.ts takeCarried). */
  private takeCarried(state: SenderState, rows: readonly UpstreamRow[]): void {
    const now = this.now();
    for (const [id, at] of state.ackedBeforeAnnounced) {
      if (at > now - CARRIED_ROWS_WINDOW_MS) break;
      state.ackedBeforeAnnounced.delete(id);
    }
    this.add(state, rows.filter((row) => !this.acks.writing(row.id) && !state.reads.ackedWhileLoading.has(row.id) && !state.ackedBeforeAnnounced.delete(row.id)));
  }

  private add(state: SenderState, rows: readonly UpstreamRow[]): void {
    for (const row of rows) {
      if (state.known.has(row.id)) continue;
      state.known.add(row.id);
      state.backlog.push(row);
    }
    state.backlog.sort((a, b) => a.created_at - b.created_at);
    this.pump(state);
  }

  /** Stored upstream messages and receipts: sent now if a connection of the sender has room. */
  offer(rows: readonly UpstreamRow[]): void {
    const touched = new Set<SenderState>();
    const elsewhere = new Map<string, UpstreamRow[]>();
    for (const row of rows) {
      const state = this.senders.get(row.sender_id);
      if (!state) {
        // Stored; sent once the sender connects here or on another node.
        const list = elsewhere.get(row.sender_id);
        if (list) list.push(row);
        else elsewhere.set(row.sender_id, [row]);
        continue;
      }
      if (state.known.has(row.id)) continue;
      state.known.add(row.id);
      state.backlog.push(row);
      touched.add(state);
    }
    for (const state of touched) this.pump(state);
    for (const [senderId, stored] of elsewhere) this.announce(senderId, stored);
  }

  /** Sends backlog to the connections with room: draining ones only when no other has room. */
  private pump(state: SenderState): void {
    const now = this.now();
    const skipped: UpstreamRow[] = [];
    while (state.backlog.length) {
      const row = state.backlog[0]!;
      if (row.expires_at <= now) {
        state.backlog.shift();
        state.known.delete(row.id);
        continue;
      }
      const target = this.pick(state, row.message_id);
      if (!target) {
        // Two devices may pick the same message_id; a connection holds one of them at a time.
        if (state.connections.some((c) => c.inflight.size < this.options.maxPending)) {
          skipped.push(state.backlog.shift()!);
          continue;
        }
        break;
      }
      state.backlog.shift();
      target.inflight.set(row.message_id, row);
      target.link.sendGcm(row.payload, { type: 'normal' });
      this.options.counters.count('app_server', 'out', 'message');
    }
    if (skipped.length) state.backlog.unshift(...skipped);
  }

  private pick(state: SenderState, messageId: string): AppConnection | undefined {
    let best: AppConnection | undefined;
    for (const connection of state.connections) {
      if (connection.closed || connection.inflight.size >= this.options.maxPending || connection.inflight.has(messageId)) continue;
      const better =
        !best ||
        (best.draining && !connection.draining) ||
        (best.draining === connection.draining && connection.inflight.size < best.inflight.size);
      if (better) best = connection;
    }
    return best;
  }

  /** A `<gcm>` payload from an app server (§2): an ACK, or a downstream request. */
  receive(connection: AppConnection, text: string, stanzaId: string | undefined): ReceiveResult {
    let json: Record<string, unknown>;
    try {
      json = parseJsonObject(text, this.options.maxJsonDepth);
    } catch (error) {
      return { stanzaError: stanzaErrorText((error as Error).message) };
    }
    const type = json.message_type;
    if (type === 'ack') {
      this.ack(connection, json, stanzaId);
      return undefined;
    }
    // §2: "Any GCM message with an unknown message_type can be ignored"; app servers never NACK.
    if (type !== undefined) return undefined;
    const messageId = json.message_id;
    // §4.3: a request without message_id cannot be NACKed; it gets a stanza error.
    if (typeof messageId !== 'string' || messageId === '') return { stanzaError: stanzaErrorText('Missing Required Field: message_id') };
    this.options.counters.count('app_server', 'in', 'message');
    this.downstream(connection, json, messageId, stanzaId);
    return undefined;
  }

  private downstream(connection: AppConnection, json: Record<string, unknown>, messageId: string, stanzaId: string | undefined): void {
    const target = typeof json.to === 'string' ? json.to : typeof json.condition === 'string' ? json.condition : undefined;
    const reply = (rejection?: Rejection) => {
      if (connection.closed) return;
      const body = rejection ? nackJson(target, messageId, rejection) : ackJson(target ?? '', messageId);
      connection.link.sendGcm(JSON.stringify(body), stanzaId !== undefined ? { id: stanzaId } : {});
      this.options.counters.count('app_server', 'out', rejection ? 'nack' : 'ack');
    };
    if (connection.draining) return reply(REJECTIONS.draining());
    // §5: the window is enforced softly — requests beyond it are NACKed, the stream lives on.
    if (connection.pendingDownstream >= this.options.maxPending) return reply(REJECTIONS.unavailable(`Too many pending messages on this connection (limit ${this.options.maxPending})`));
    let request: DownstreamRequest;
    try {
      if ('registration_ids' in json) throw new InvalidMessage({ code: 'INVALID_JSON', description: 'InvalidJson: INVALID_PARAMETERS : registration_ids is not supported over XMPP, use "to"' });
      request = validateDownstream(json, messageId);
    } catch (error) {
      if (error instanceof InvalidMessage) return reply(error.rejection);
      this.options.log.error({ err: error }, 'ccs: accepting a downstream message failed');
      return reply(REJECTIONS.internal());
    }
    connection.pendingDownstream++;
    // A callback, not a promise: this runs for every message.
    this.options.downstream.add({ senderId: connection.senderId, request, dedupe: true }, (error, outcome) => {
      if (error !== null) {
        this.options.log.error({ err: error }, 'ccs: accepting a downstream message failed');
        reply(REJECTIONS.internal());
      } else reply(outcome!.ok ? undefined : outcome!.rejection);
      connection.pendingDownstream--;
      if (connection.draining) this.closeIfDrained(connection);
    });
  }

  private ack(connection: AppConnection, json: Record<string, unknown>, stanzaId: string | undefined): void {
    const messageId = json.message_id;
    if (typeof messageId !== 'string' || messageId === '') {
      const nack = nackJson(typeof json.to === 'string' ? json.to : undefined, typeof messageId === 'string' ? messageId : '', { code: 'BAD_ACK', description: 'ACK without a message_id' });
      connection.link.sendGcm(JSON.stringify(nack), stanzaId !== undefined ? { id: stanzaId } : {});
      this.options.counters.count('app_server', 'out', 'nack');
      return;
    }
    // §4.4: receipts may be ACKed with or without their dr2: prefix.
    this.options.counters.count('app_server', 'in', 'ack');
    const key = connection.inflight.has(messageId) ? messageId : RECEIPT_PREFIX + messageId;
    const row = connection.inflight.get(key);
    if (!row) return; // §5: ACKs are valid only on the connection that received the message.
    connection.inflight.delete(key);
    const state = this.state(connection.senderId);
    this.acks.add(row.id, (error) => {
      if (error !== null) return this.options.log.error({ err: error }, 'ccs: storing an app-server ACK failed');
      state.known.delete(row.id);
      state.reads.acked(row.id);
      if (this.readFromStore.has(row)) state.ackedBeforeAnnounced.set(row.id, this.now());
    });
    this.pump(state);
    if (connection.draining) this.closeIfDrained(connection);
  }

  /**
   * §4.5 connection draining: tell the connection, NACK its new requests with
   * CONNECTION_DRAINING, keep delivering upstream and receipts, and close it
   * once nothing is pending or the grace period ends.
   */
  drain(connection: AppConnection, graceMs = this.options.drainGraceMs): Promise<void> {
    if (!connection.draining && !connection.closed) {
      connection.draining = true;
      connection.link.sendGcm(JSON.stringify(DRAINING_CONTROL), { type: 'normal' });
      const timer = setTimeout(() => connection.link.close(), graceMs);
      void connection.gone.then(() => clearTimeout(timer));
      // Give the app server a moment to move its traffic before an idle connection closes.
      setTimeout(() => this.closeIfDrained(connection), Math.min(graceMs, 1000)).unref();
    }
    return connection.gone;
  }

  private closeIfDrained(connection: AppConnection): void {
    if (!connection.closed && connection.pendingDownstream === 0 && connection.inflight.size === 0) connection.link.close();
  }

  /** Drains every connection (operator `ocp ccs drain`, and shutdown). */
  async drainAll(graceMs = this.options.drainGraceMs): Promise<number> {
    const connections = [...this.senders.values()].flatMap((state) => state.connections);
    await Promise.all(connections.map((connection) => this.drain(connection, graceMs)));
    return connections.length;
  }

  async flush(): Promise<void> {
    await this.acks.idle();
  }

  close(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }
}
