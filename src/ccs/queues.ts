// The durable message queues: downstream messages per device (until the
// device ACKs or they expire) and messages for app servers per sender
// (upstream from devices and delivery receipts, until an app server ACKs or
// they expire), plus the per-sender record of message ids already accepted.
import type { Db } from '../store/db.ts';
import type { CcsDownstreamTable, CcsUpstreamTable } from './tables.ts';
import { chunks } from './group-commit.ts';

export type DownstreamRow = CcsDownstreamTable;
export type UpstreamRow = CcsUpstreamTable;

export interface DownstreamCommit {
  /** (sender, message_id) pairs to remember for deduplication. */
  messageIds: Array<{ sender_id: string; message_id: string }>;
  /** Older undelivered messages these replace (§3 collapse_key). */
  collapse: Array<{ registration_id: string; collapse_key: string }>;
  rows: DownstreamRow[];
}

export class MessageQueues {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** The subset of `messageIds` the sender already had accepted. */
  async seenMessageIds(senderId: string, messageIds: readonly string[]): Promise<Set<string>> {
    const seen = new Set<string>();
    for (const part of chunks([...new Set(messageIds)])) {
      const rows = await this.db.selectFrom('ccs_message_ids').select('message_id').where('sender_id', '=', senderId).where('message_id', 'in', part).execute();
      for (const row of rows) seen.add(row.message_id);
    }
    return seen;
  }

  /** Writes one batch of accepted downstream messages in a single transaction. */
  async commitDownstream(batch: DownstreamCommit): Promise<void> {
    if (!batch.messageIds.length && !batch.rows.length) return;
    const now = this.now();
    await this.db.transaction().execute(async (tx) => {
      for (const part of chunks(batch.messageIds, 300)) {
        await tx
          .insertInto('ccs_message_ids')
          .values(part.map((m) => ({ ...m, created_at: now })))
          .onConflict((oc) => oc.columns(['sender_id', 'message_id']).doNothing())
          .execute();
      }
      for (const { registration_id, collapse_key } of batch.collapse) {
        await tx.deleteFrom('ccs_downstream').where('registration_id', '=', registration_id).where('collapse_key', '=', collapse_key).execute();
      }
      for (const part of chunks(batch.rows, 60)) await tx.insertInto('ccs_downstream').values(part).execute();
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
