// The pending Create-Jobs in the store (src/ipp/pending-jobs.ts, migrations
// 0013 and 0015) on SQLite and PostgreSQL: of two Send-Documents claiming one
// job at once exactly one gets it; a job receiving its document stays a job
// until it is stored, and a Cancel-Job meanwhile is seen by the Send-Document;
// a job past its multiple-operation-time-out is gone for every read and
// swept by the next Create-Job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { pendingJobsIn, RECEIVING_ROW_LIFETIME_MS } from '../../src/ipp/pending-jobs.ts';
import type { IppPendingJob } from '../../src/ipp/deps.ts';
import { describeEachDialect } from '../helpers/dialects.ts';

const NOW = 1_000_000;

function pendingJob(printerId: string, ownerId: string, expiresAt: number, createdAt = NOW): IppPendingJob {
  return {
    job: {
      id: randomUUID(), printerId, ownerId, ownerEmail: `${ownerId}@example.com`, title: 'pending', contentType: 'application/pdf',
      state: { type: 'QUEUED' }, pagesPrinted: 0, documentSize: 0, createdAt, updatedAt: createdAt, ticket: { version: '1.0', print: { copies: { copies: 2 } } },
    },
    format: 'application/pdf',
    compression: 'gzip',
    expiresAt,
  };
}

describeEachDialect('IPP pending jobs', (store) => {
  const ids = { owner: randomUUID(), other: randomUUID(), printer: randomUUID() };

  async function setUp() {
    const { db } = store.current;
    if (await db.selectFrom('printers').select('id').where('id', '=', ids.printer).executeTakeFirst()) return;
    for (const id of [ids.owner, ids.other]) await db.insertInto('accounts').values({ id, kind: 'user', email: `${id}@example.com`, jid_local: id, created_at: NOW }).execute();
    await db.insertInto('printers').values({
      id: ids.printer, owner_id: ids.owner, name: 'p', capabilities: '{}', semantic_state: '{}', tags: '[]', notification_channel: 'xmpp',
      created_at: NOW, updated_at: NOW, accessed_at: NOW,
    }).execute();
  }

  test('a pending job reads back as it was created, newest first, by owner', async () => {
    await setUp();
    const pending = pendingJobsIn(store.current.db);
    const first = pendingJob(ids.printer, ids.owner, NOW + 60_000);
    const second = pendingJob(ids.printer, ids.other, NOW + 60_000, NOW + 1);
    await pending.add(first, NOW);
    await pending.add(second, NOW + 1);
    assert.deepEqual(await pending.of(ids.printer, NOW + 2), [second, first]);
    assert.deepEqual(await pending.of(ids.printer, NOW + 2, ids.owner), [first]);
    assert.equal(await pending.count(ids.printer, NOW + 2), 2);
    assert.deepEqual(await pending.take(first.job.id, NOW + 2), first);
    assert.deepEqual(await pending.take(second.job.id, NOW + 2), second);
    assert.equal(await pending.count(ids.printer, NOW + 2), 0);
  });

  test('of concurrent claims of one job (as two Send-Documents on two nodes), exactly one gets it', async () => {
    await setUp();
    const pending = pendingJobsIn(store.current.db);
    for (let round = 0; round < 20; round++) {
      const job = pendingJob(ids.printer, ids.owner, NOW + 60_000);
      await pending.add(job, NOW);
      const claimed = await Promise.all(Array.from({ length: 4 }, () => pending.claim(job.job.id, NOW + 1)));
      assert.deepEqual(claimed.filter(Boolean), [job], `round ${round}`);
      assert.equal(await pending.finish(job.job.id), true);
    }
  });

  test('a job receiving its document is still a job: listed, counted, past its time-out too; not claimed again nor closed; a cancel meanwhile is what finish reports', async () => {
    await setUp();
    const { db } = store.current;
    const pending = pendingJobsIn(db);
    const uploading = pendingJob(ids.printer, ids.owner, NOW + 1_000);
    await pending.add(uploading, NOW);
    assert.deepEqual(await pending.claim(uploading.job.id, NOW + 10), uploading);
    // The upload outlasts the Create-Job's time-out: the job stays.
    assert.deepEqual(await pending.of(ids.printer, NOW + 5_000), [uploading]);
    assert.equal(await pending.count(ids.printer, NOW + 5_000), 1);
    assert.equal(await pending.claim(uploading.job.id, NOW + 20), undefined, 'a second Send-Document');
    assert.equal(await pending.take(uploading.job.id, NOW + 20), undefined, 'Close-Job leaves a job that is receiving its document');
    const other = pendingJob(ids.printer, ids.owner, NOW + 61_000, NOW + 5_000);
    await pending.add(other, NOW + 5_000);
    assert.deepEqual((await pending.of(ids.printer, NOW + 5_000)).map((p) => p.job.id), [other.job.id, uploading.job.id], 'not swept');
    // Cancel-Job while it uploads: the Send-Document's finish sees it.
    assert.equal(await pending.cancel(uploading.job.id, NOW + 5_000), true);
    assert.equal(await pending.finish(uploading.job.id), false);
    // Without a cancel, finish removes the row and says so.
    await pending.claim(other.job.id, NOW + 5_001);
    assert.equal(await pending.finish(other.job.id), true);
    assert.deepEqual(await pending.of(ids.printer, NOW + 5_001), []);
  });

  test('a claim a dead node left is swept once it is RECEIVING_ROW_LIFETIME_MS old', async () => {
    await setUp();
    const { db } = store.current;
    const pending = pendingJobsIn(db);
    const abandoned = pendingJob(ids.printer, ids.owner, NOW + 1_000);
    await pending.add(abandoned, NOW);
    await pending.claim(abandoned.job.id, NOW);
    const later = (ms: number) => pendingJob(ids.printer, ids.owner, NOW + ms + 60_000, NOW + ms);
    const before = later(RECEIVING_ROW_LIFETIME_MS - 1);
    await pending.add(before, NOW + RECEIVING_ROW_LIFETIME_MS - 1);
    assert.ok((await pending.of(ids.printer, NOW + RECEIVING_ROW_LIFETIME_MS - 1)).some((p) => p.job.id === abandoned.job.id));
    const after = later(RECEIVING_ROW_LIFETIME_MS);
    await pending.add(after, NOW + RECEIVING_ROW_LIFETIME_MS);
    assert.deepEqual((await pending.of(ids.printer, NOW + RECEIVING_ROW_LIFETIME_MS)).map((p) => p.job.id).sort(), [before.job.id, after.job.id].sort());
    for (const job of [before, after]) await pending.take(job.job.id, NOW + RECEIVING_ROW_LIFETIME_MS);
  });

  test('past its time-out a job is gone (abort-job): not listed, not counted, not taken, and swept by the next Create-Job', async () => {
    await setUp();
    const { db } = store.current;
    const pending = pendingJobsIn(db);
    const expiring = pendingJob(ids.printer, ids.owner, NOW + 1_000);
    await pending.add(expiring, NOW);
    assert.equal(await pending.count(ids.printer, NOW + 999), 1);
    assert.deepEqual(await pending.of(ids.printer, NOW + 1_000), []);
    assert.equal(await pending.count(ids.printer, NOW + 1_000), 0);
    assert.equal(await pending.take(expiring.job.id, NOW + 1_000), undefined);
    assert.equal((await db.selectFrom('ipp_pending_jobs').select('id').where('id', '=', expiring.job.id).execute()).length, 1, 'not swept yet');
    const next = pendingJob(ids.printer, ids.owner, NOW + 61_000);
    await pending.add(next, NOW + 1_000);
    assert.deepEqual((await db.selectFrom('ipp_pending_jobs').select('id').execute()).map((row) => row.id), [next.job.id]);
    await pending.take(next.job.id, NOW + 1_000);
  });

  test('a deleted printer takes its pending jobs with it', async () => {
    await setUp();
    const { db } = store.current;
    const pending = pendingJobsIn(db);
    await pending.add(pendingJob(ids.printer, ids.owner, NOW + 60_000), NOW);
    await db.deleteFrom('printers').where('id', '=', ids.printer).execute();
    assert.deepEqual(await db.selectFrom('ipp_pending_jobs').selectAll().execute(), []);
  });
});
