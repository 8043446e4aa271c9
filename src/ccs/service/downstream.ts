// Accepting downstream messages (app server → devices), shared by the XMPP
// endpoint and /gcm/send. Requests are resolved, deduplicated, rate-limited
// and stored in batches (group commit); each request's outcome is known only
// after its batch committed, so an ACK always means "durably stored".
import { newId } from '../../auth/secrets.ts';
import type { DeviceHub } from './devices.ts';
import { GroupCommit, type Settled } from './group-commit.ts';
import { REJECTIONS, type DownstreamRequest, type Rejection } from './messages.ts';
import { matchesCondition, conditionTopics } from './condition.ts';
import type { DownstreamEntry, DownstreamRow, MessageQueues } from './queues.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { Registration, Registrations } from './registrations.ts';
import { expiryOf } from './links.ts';

export interface SendItem {
  senderId: string;
  request: DownstreamRequest;
  /** HTTP requests carry no message_id of their own and are never deduplicated. */
  dedupe: boolean;
}

export type SendOutcome =
  | { ok: true; /** Server-assigned ids, one per device the message was queued for. */ ids: string[] }
  | { ok: false; rejection: Rejection };

export interface DownstreamOptions {
  queues: MessageQueues;
  registrations: Registrations;
  devices: DeviceHub;
  deviceRate: RateLimiter;
  topicRate: RateLimiter;
  now?: () => number;
}

// Per-process random prefix + counter: unique across restarts and nodes
// without a random draw per message (which showed in the profile).
const ID_PREFIX = newId(6);
let idCounter = 0;

/** A server-assigned message id in the original's shape (`0:<ms>%<hex>`, §7). */
export function serverMessageId(now: number): string {
  return `0:${now}%${ID_PREFIX}${(idCounter++).toString(16)}`;
}

export class DownstreamPipeline {
  private readonly commit: GroupCommit<SendItem, SendOutcome>;
  private readonly now: () => number;

  constructor(private readonly options: DownstreamOptions) {
    this.now = options.now ?? Date.now;
    this.commit = new GroupCommit((items) => this.flush(items));
  }

  submit(item: SendItem): Promise<SendOutcome> {
    return this.commit.submit(item);
  }

  /** `submit` with a callback, for the XMPP endpoint's per-message path. */
  add(item: SendItem, settled: Settled<SendOutcome>): void {
    this.commit.add(item, settled);
  }

  idle(): Promise<void> {
    return this.commit.idle();
  }

  private async flush(items: SendItem[]): Promise<SendOutcome[]> {
    const { registrations, queues } = this.options;
    const direct = await registrations.findMany(items.flatMap((i) => (i.request.to !== undefined && i.request.topic === undefined ? [i.request.to] : [])));
    const subscribers = await this.subscribersBySender(items);
    const now = this.now();
    const inBatch = new Set<string>();
    const entries: DownstreamEntry[] = [];
    // Per item: a rejection, a duplicate within this batch, or an entry to write.
    const decided = items.map((item): SendOutcome | { entry: number; dryRun: boolean } => {
      const { senderId, request } = item;
      const targets = this.targets(item, direct, subscribers.get(senderId));
      if (!Array.isArray(targets)) return { ok: false, rejection: targets };
      if (request.dryRun) return { ok: true, ids: targets.map(() => serverMessageId(now)) };
      const entry: DownstreamEntry = { rows: [] };
      if (item.dedupe) {
        // §5: an app server resends what it saw no ACK for; ACK it again, deliver once.
        const key = `${senderId}\0${request.messageId}`;
        if (inBatch.has(key)) return { ok: true, ids: [] };
        inBatch.add(key);
        entry.key = { sender_id: senderId, message_id: request.messageId };
      }
      // time_to_live 0: now or never — only devices connected at this moment.
      const reachable = request.timeToLive === 0 ? targets.filter((r) => this.options.devices.isOnline(r.jid_local, request.delayWhileIdle)) : targets;
      entry.rows = reachable.map((registration) => this.row(senderId, request, registration, now));
      if (request.collapseKey !== undefined) entry.collapse = { collapse_key: request.collapseKey };
      return { entry: entries.push(entry) - 1, dryRun: false };
    });
    const accepted = entries.length ? await queues.commitDownstream(entries) : [];
    this.options.devices.deliver(entries.flatMap((entry, index) => (accepted[index] ? entry.rows : [])));
    return decided.map((d) => {
      if (!('entry' in d)) return d;
      return { ok: true, ids: accepted[d.entry] ? entries[d.entry]!.rows.map((row) => row.id) : [] };
    });
  }

  /** The registrations a request goes to, or why it cannot go anywhere. */
  private targets(item: SendItem, direct: Map<string, Registration>, subscribers: Map<Registration, Set<string>> | undefined): Registration[] | Rejection {
    const { senderId, request } = item;
    if (request.topic !== undefined || request.condition !== undefined) {
      const key = `${senderId}/${request.topic ?? JSON.stringify(request.condition)}`;
      if (!this.options.topicRate.take(key)) return REJECTIONS.topicRate();
      const matches: Registration[] = [];
      for (const [registration, topics] of subscribers ?? []) {
        if (request.topic !== undefined ? topics.has(request.topic) : matchesCondition(request.condition!, topics)) matches.push(registration);
      }
      return matches;
    }
    const to = request.to!;
    const registration = direct.get(to);
    if (!registration) return REJECTIONS.badRegistration(to);
    if (registration.sender_id !== senderId) return REJECTIONS.mismatchSender(to);
    if (registration.unregistered_at !== null) return REJECTIONS.unregistered();
    if (!this.options.deviceRate.take(to)) return REJECTIONS.deviceRate();
    return [registration];
  }

  private row(senderId: string, request: DownstreamRequest, registration: Registration, now: number): DownstreamRow {
    const id = serverMessageId(now);
    // What the device receives: the server's id to ACK, who it is from
    // (the topic for topic messages, as on Android) and the message itself.
    const payload = {
      message_id: id,
      from: request.topic !== undefined ? `/topics/${request.topic}` : senderId,
      category: registration.app,
      ...(request.collapseKey !== undefined ? { collapse_key: request.collapseKey } : {}),
      priority: request.priority,
      ...(request.data ? { data: request.data } : {}),
      ...(request.notification ? { notification: request.notification } : {}),
      ...(request.contentAvailable !== undefined ? { content_available: request.contentAvailable } : {}),
      ...(request.mutableContent !== undefined ? { mutable_content: request.mutableContent } : {}),
      sent: now,
      time_to_live: request.timeToLive,
    };
    return {
      id,
      sender_id: senderId,
      message_id: request.messageId,
      registration_id: registration.registration_id,
      jid_local: registration.jid_local,
      collapse_key: request.collapseKey ?? null,
      priority: request.priority === 'high' ? 1 : 0,
      delay_while_idle: request.delayWhileIdle ? 1 : 0,
      receipt_requested: request.receiptRequested ? 1 : 0,
      payload: JSON.stringify(payload),
      expires_at: expiryOf(now, request.timeToLive),
      created_at: now,
    };
  }

  private async subscribersBySender(items: SendItem[]): Promise<Map<string, Map<Registration, Set<string>>>> {
    const topicsBySender = new Map<string, Set<string>>();
    for (const { senderId, request } of items) {
      const topics = request.topic !== undefined ? [request.topic] : request.condition ? conditionTopics(request.condition) : [];
      if (!topics.length) continue;
      const set = topicsBySender.get(senderId) ?? new Set<string>();
      for (const topic of topics) set.add(topic);
      topicsBySender.set(senderId, set);
    }
    const out = new Map<string, Map<Registration, Set<string>>>();
    for (const [senderId, topics] of topicsBySender) out.set(senderId, await this.options.registrations.subscribers(senderId, [...topics]));
    return out;
  }
}
