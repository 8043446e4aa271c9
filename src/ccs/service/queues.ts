// The durable message queues: downstream messages per device (until the
// device ACKs or they expire) and messages for app servers per sender
// (upstream from devices and delivery receipts, until an app server ACKs or
// they expire), plus the per-sender record of message ids already accepted.
import type pg from 'pg';
import { postgresPoolOf, type Db } from '../../store/db.ts';
import type { CcsDownstreamTable, CcsUpstreamTable } from '../../store/tables/ccs.ts';
import { chunks } from './group-commit.ts';
import { BatchStatement } from './batch-sql.ts';
import type { CcsCounters } from './counters.ts';

export type DownstreamRow = CcsDownstreamTable;
/** An upstream message or receipt for an app server, as stored (without its ACK time). */
export type UpstreamRow = Omit<CcsUpstreamTable, 'acked_at'>;

/**
 * How long an upstream message ACKed by its app server is remembered: a
 * device whose ACK was lost (its connection or its node died between the
 * store and the ACK) sends the message again on its next session, usually
 * within seconds, and the remembered id keeps that copy from being stored
 * and delivered a second time. Ten minutes covers devices that back off for
 * minutes; a resend later than that is delivered again (at least once, CCS
 * "Flow Control").
 */
export const UPSTREAM_RESEND_WINDOW_MS = 10 * 60 * 1000;

/** One accepted request's share of a batch. */
export interface DownstreamEntry {
  /** Its (sender, message_id), when it is deduplicated. */
  key?: { sender_id: string; message_id: string };
  /** Older undelivered messages its rows replace (§3 collapse_key). */
  collapse?: { collapse_key: string };
  rows: DownstreamRow[];
}

const DOWNSTREAM_COLUMNS = ['id', 'sender_id', 'message_id', 'registration_id', 'jid_local', 'collapse_key', 'priority', 'delay_while_idle', 'receipt_requested', 'payload', 'expires_at', 'created_at'] as const satisfies ReadonlyArray<keyof DownstreamRow>;
type MessageKey = { sender_id: string; message_id: string; created_at: number };
const PLACEHOLDER_DOWNSTREAM = Object.fromEntries(DOWNSTREAM_COLUMNS.map((column) => [column, 0])) as unknown as DownstreamRow;

/**
 * commitDownstream on PostgreSQL, for a batch without collapse keys: one
 * statement instead of four round trips (BEGIN, the keys, the rows, COMMIT),
 * atomic as a statement is. The keys go in first; a row goes in if its
 * request has no key or its key went in now (a row's key_sender and
 * key_message: null for a request without one). Arrays in, so the text is
 * the same for every batch size, and named, so each connection parses and
 * plans it once: planned at every run, it cost PostgreSQL more than the
 * round trips it saves (docs/performance.md).
 */
const COMMIT_DOWNSTREAM: Omit<pg.QueryConfig, 'values'> = {
  name: 'ocp-ccs-commit-downstream',
  text: `WITH fresh AS (
  INSERT INTO ccs_message_ids (sender_id, message_id, created_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
  ON CONFLICT (sender_id, message_id) DO NOTHING
  RETURNING sender_id, message_id
), stored AS (
  INSERT INTO ccs_downstream (${DOWNSTREAM_COLUMNS.join(', ')})
  SELECT ${DOWNSTREAM_COLUMNS.map((column) => `r.${column}`).join(', ')}
  FROM unnest($4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::integer[], $11::integer[], $12::integer[], $13::text[], $14::bigint[], $15::bigint[], $16::text[], $17::text[])
    AS r(${DOWNSTREAM_COLUMNS.join(', ')}, key_sender, key_message)
  WHERE r.key_sender IS NULL OR EXISTS (SELECT 1 FROM fresh WHERE fresh.sender_id = r.key_sender AND fresh.message_id = r.key_message)
)
SELECT sender_id, message_id FROM fresh`,
};

export class MessageQueues {
  // The statements every message goes through (see ./batch-sql.ts).
  private readonly insertKeys = new BatchStatement<MessageKey, { sender_id: string; message_id: string }>(
    (db, size) =>
      db
        .insertInto('ccs_message_ids')
        .values(Array.from({ length: size }, () => ({ sender_id: '', message_id: '', created_at: 0 })))
        .onConflict((oc) => oc.columns(['sender_id', 'message_id']).doNothing())
        .returning(['sender_id', 'message_id']),
    (key) => [key.sender_id, key.message_id, key.created_at],
    3,
  );
  // Ids are unique by construction; DO NOTHING only lets a batch be padded with its last row.
  private readonly insertDownstream = new BatchStatement<DownstreamRow>(
    (db, size) =>
      db
        .insertInto('ccs_downstream')
        .values(Array.from({ length: size }, () => PLACEHOLDER_DOWNSTREAM))
        .onConflict((oc) => oc.column('id').doNothing()),
    (row) => DOWNSTREAM_COLUMNS.map((column) => row[column]),
    DOWNSTREAM_COLUMNS.length,
  );
  private readonly deleteDownstream = new BatchStatement<string>(
    (db, size) => db.deleteFrom('ccs_downstream').where('id', 'in', Array.from({ length: size }, () => '')),
    (id) => [id],
    1,
  );

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
    private readonly counters?: CcsCounters,
  ) {}

  /**
   * Writes one batch of accepted requests in a single transaction. A request
   * whose (sender, message_id) was already stored — by an earlier batch or
   * another node — is a resend: nothing of it is written and its flag is false.
   */
  async commitDownstream(entries: readonly DownstreamEntry[]): Promise<boolean[]> {
    const now = this.now();
    const pool = postgresPoolOf(this.db);
    if (pool && !entries.some((entry) => entry.collapse)) return commitInOneStatement(pool, entries, now);
    return this.db.transaction().execute(async (tx) => {
      const fresh = new Set<string>();
      const keys = entries.flatMap((e) => (e.key ? [{ ...e.key, created_at: now }] : []));
      for (const row of await this.insertKeys.run(tx, keys)) fresh.add(`${row.sender_id}\0${row.message_id}`);
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
      await this.insertDownstream.run(tx, rows);
      return accepted;
    });
  }

  /** What a device should still receive, high priority first, oldest first. */
  pendingDownstream(jidLocal: string): Promise<DownstreamRow[]> {
    if (this.counters) this.counters.queueReads.downstream++;
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

  /**
   * Removes messages their devices ACKed and queues the receipts they asked
   * for, together. Without receipts the delete runs alone, out of a
   * transaction: on PostgreSQL that is one round trip instead of three
   * (BEGIN, DELETE, COMMIT), for every batch of device ACKs.
   */
  async completeDownstream(ids: readonly string[], receipts: readonly UpstreamRow[]): Promise<void> {
    if (receipts.length === 0) {
      await this.deleteDownstream.run(this.db, ids);
      return;
    }
    await this.db.transaction().execute(async (tx) => {
      await this.deleteDownstream.run(tx, ids);
      await insertUpstream(tx, receipts);
    });
  }

  /** Stores `rows`; resolves with the ids stored now (not those stored or ACKed before: resends). */
  insertUpstream(rows: readonly UpstreamRow[]): Promise<Set<string>> {
    return insertUpstream(this.db, rows);
  }

  pendingUpstream(senderId: string): Promise<UpstreamRow[]> {
    if (this.counters) this.counters.queueReads.upstream++;
    return this.db.selectFrom('ccs_upstream').selectAll().where('sender_id', '=', senderId).where('acked_at', 'is', null).where('expires_at', '>', this.now()).orderBy('created_at').orderBy('id').execute();
  }

  /** The app server ACKed these: kept as tombstones for UPSTREAM_RESEND_WINDOW_MS (expire()). */
  async acknowledgeUpstream(ids: readonly string[]): Promise<void> {
    const now = this.now();
    for (const part of chunks(ids)) await this.db.updateTable('ccs_upstream').set({ acked_at: now }).where('id', 'in', part).execute();
  }

  /** Deletes expired messages and message ids older than `dedupWindowMs`. */
  async expire(dedupWindowMs: number): Promise<{ downstream: number; upstream: number }> {
    const now = this.now();
    const downstream = await this.db.deleteFrom('ccs_downstream').where('expires_at', '<=', now).executeTakeFirst();
    const upstream = await this.db
      .deleteFrom('ccs_upstream')
      .where((eb) => eb.or([eb('expires_at', '<=', now), eb('acked_at', '<=', now - UPSTREAM_RESEND_WINDOW_MS)]))
      .executeTakeFirst();
    await this.db.deleteFrom('ccs_message_ids').where('created_at', '<=', now - dedupWindowMs).execute();
    return { downstream: Number(downstream.numDeletedRows), upstream: Number(upstream.numDeletedRows) };
  }
}

/** COMMIT_DOWNSTREAM with a batch's values, column by column; resolves like commitDownstream. */
async function commitInOneStatement(pool: pg.Pool, entries: readonly DownstreamEntry[], now: number): Promise<boolean[]> {
  const keys = entries.flatMap((entry) => (entry.key ? [entry.key] : []));
  const rows = entries.flatMap((entry) => entry.rows.map((row) => ({ row, key: entry.key })));
  const values: unknown[] = [keys.map((key) => key.sender_id), keys.map((key) => key.message_id), keys.map(() => now)];
  for (const column of DOWNSTREAM_COLUMNS) values.push(rows.map(({ row }) => row[column]));
  values.push(rows.map(({ key }) => key?.sender_id ?? null), rows.map(({ key }) => key?.message_id ?? null));
  const { rows: fresh } = await pool.query<{ sender_id: string; message_id: string }>({ ...COMMIT_DOWNSTREAM, values });
  const stored = new Set(fresh.map((key) => `${key.sender_id}\0${key.message_id}`));
  return entries.map((entry) => !entry.key || stored.has(`${entry.key.sender_id}\0${entry.key.message_id}`));
}

async function insertUpstream(db: Db, rows: readonly UpstreamRow[]): Promise<Set<string>> {
  // A device that resends an upstream message it saw no ACK for must not
  // produce a second row, nor revive one its app server ACKed (a tombstone):
  // the id is derived from (registration, message_id).
  const stored = new Set<string>();
  for (const part of chunks(rows, 100)) {
    const inserted = await db.insertInto('ccs_upstream').values(part).onConflict((oc) => oc.column('id').doNothing()).returning('id').execute();
    for (const { id } of inserted) stored.add(id);
  }
  return stored;
}
