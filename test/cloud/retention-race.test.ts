// The retention sweep against a device finishing jobs at the same moment: a
// job the device finished after the sweep read it keeps its DONE. On
// PostgreSQL, where each of the sweep's statements waits for the network and
// requests run in between (on SQLite the sweep runs in one turn of the loop).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sweepJobs } from '../../src/cloud/jobs.ts';
import type { CloudService } from '../../src/cloud/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, submitJob } from '../helpers/cloud.ts';

let server: TestServer;
let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
  server = await startTestServer({ database: database.url });
});
after(async () => {
  await server.stop();
  await database.drop();
});

const diff = (type: string) => JSON.stringify({ state: { type } });

test('the retention sweep does not abort a job the device finished after the sweep read it', async () => {
  const owner = await createUser(server);
  const printer = await registerAndClaim(server, owner);
  const ids: string[] = [];
  for (let i = 0; i < 30; i++) {
    const { body } = await submitJob(server, owner.token, printer.printerId);
    ids.push(body.job.id as string);
    await cloudApi(server, 'control', { jobid: body.job.id, semantic_state_diff: diff('IN_PROGRESS') }, { token: printer.accessToken });
  }
  // Only unfinished jobs exist, so the sweep deletes no document and needs no document store.
  const { store, config, bus, log } = server.context;
  const service = { db: store.db, config, bus, log } as unknown as CloudService;
  const sweeping = sweepJobs(service, Date.now() + server.context.config.jobRetentionSeconds * 1000 + 60_000);
  const replies = await Promise.all(ids.map((jobid) => cloudApi(server, 'control', { jobid, semantic_state_diff: diff('DONE') }, { token: printer.accessToken })));
  await sweeping;
  const finished = ids.filter((_, i) => replies[i]!.body.success);
  const rows = await server.context.store.db.selectFrom('jobs').select(['id', 'status']).where('id', 'in', ids).execute();
  const statusOf = new Map(rows.map((row) => [row.id, row.status]));
  for (const id of finished) assert.equal(statusOf.get(id), 'DONE', `job ${id} was reported DONE and must stay so`);
  for (const id of ids) assert.ok(['DONE', 'ABORTED'].includes(statusOf.get(id)!), 'every job ends either way');
});
