// The durable message queues: downstream messages per device (until the
// device ACKs or they expire) and messages for app servers per sender
// (upstream from devices and delivery receipts, until an app server ACKs or
// they expire), plus the per-sender record of message ids already accepted.
import type { Db } from '../store/db.ts';
import type { CcsDownstreamTable, CcsUpstreamTable } from './tables.ts';
import { chunks } from './group-commit.ts';

export type DownstreamRow = CcsDownstreamTable;
export type UpstreamRow = CcsUpstreamTable;

/** One accepted request's share of a batch. */
export interface DownstreamEntry {
  /** Its (sender, message_id), when it is deduplicated. */
  key?: { sender_id: string; message_id: string };
  /** Older undelivered messages its rows replace (§3 collapse_key). */
  collapse?: { collapse_key: string };
  rows: DownstreamRow[];
}

export class MessageQueues {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Writes one batch of accepted requests in a single transaction. A request
   * whose (sender, message_id) was already stored — by an earlier batch or
   * another node — is a resend: nothing of it is written and its flag is false.
   */
  async commitDownstream(entries: readonly DownstreamEntry[]): Promise<boolean[]> {
    const now = this.now();
    return this.db.transaction().execute(async (tx) => {
      const fresh = new Set<string>();
      const keys = entries.flatMap((e) => (e.key ? [{ ...e.key, created_at: now }] : []));
      for (const part of chunks(keys, 300)) {
        const inserted = await tx
          .insertInto('ccs_message_ids')
          .values(part)
          .onConflict((oc) => oc.columns(['sender_id', 'message_id']).doNothing())
          .returning(['sender_id', 'message_id'])
          .execute();
        for (const row of inserted) fresh.add(`${row.sender_id}\0${row.message_id}`);
      }
      const accepted = entries.map((e) => !e.key || fresh.has(`${e.key.sender_id}\0${e.key.message_id}`));
      const rows: DownstreamRow[] = [];
      for (const [index, entry] of entries.entries()) {
        if (!accepted[index]) continue;
        // Found through the device index: no index of its own to maintain on every message.
        for (const row of entry.collapse ? entry.rows : []) {
          await tx.deleteFrom('ccs_downstream').where('jid_local', '=', row.jid_local).where('registration_id', '=', row.registration_id).where('collapse_key', '=', entry.collapse!.collapse_key).execute();
        }
        rows.push(...entry.rows);
      }
      for (const part of chunks(rows, 500)) await tx.insertInto('ccs_downstream').values(part).execute();
      return accepted;
    });
  }

  /** What a device should still receive, high priority first, oldest first. */
  pendingDownstream(jidLocal: string): Promise<DownstreamRow[]> {
    return this.db
      .selectFrom('ccs_downstream')
      .selectAll()
      .where('jid_local', '=', jidLocal)
      .where('expires_at', '>', this.now())
      .orderBy('priority', 'desc')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** Removes messages their devices ACKed and queues the receipts they asked for, together. */
  async completeDownstream(ids: readonly string[], receipts: readonly UpstreamRow[]): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const part of chunks(ids)) await tx.deleteFrom('ccs_downstream').where('id', 'in', part).execute();
      await insertUpstream(tx, receipts);
    });
  }

  insertUpstream(rows: readonly UpstreamRow[]): Promise<void> {
    return insertUpstream(this.db, rows);
  }

  pendingUpstream(senderId: string): Promise<UpstreamRow[]> {
    return this.db.selectFrom('ccs_upstream').selectAll().where('sender_id', '=', senderId).where('expires_at', '>', this.now()).orderBy('created_at').orderBy('id').execute();
  }

  async deleteUpstream(ids: readonly string[]): Promise<void> {
    for (const part of chunks(ids)) await this.db.deleteFrom('ccs_upstream').where('id', 'in', part).execute();
  }

  /** Deletes expired messages and message ids older than `dedupWindowMs`. */
  async expire(dedupWindowMs: number): Promise<{ downstream: number; upstream: number }> {
    const now = this.now();
    const downstream = await this.db.deleteFrom('ccs_downstream').where('expires_at', '<=', now).executeTakeFirst();
    const upstream = await this.db.deleteFrom('ccs_upstream').where('expires_at', '<=', now).executeTakeFirst();
    await this.db.deleteFrom('ccs_message_ids').where('created_at', '<=', now - dedupWindowMs).execute();
    return { downstream: Number(downstream.numDeletedRows), upstream: Number(upstream.numDeletedRows) };
  }
}

async function insertUpstream(db: Db, rows: readonly UpstreamRow[]): Promise<void> {
  // A device that resends an upstream message it saw no ACK for must not
  // produce a second row: the id is derived from (registration, message_id).
  for (const part of chunks(rows, 100)) await db.insertInto('ccs_upstream').values(part).onConflict((oc) => oc.column('id').doNothing()).execute();
}
