// Limits in time: unclaimed registrations expire after --registration-ttl,
// jobs after --job-retention (unfinished ones are first aborted with
// EXPIRATION), proximity tokens after their lifetime.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, registerPrinter, submitJob, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';

let server: TestServer;
let owner: TestUser;
let printer: ClaimedPrinter;

before(async () => {
  server = await startTestServer({ registrationTtlSeconds: 1, jobRetentionSeconds: 1 });
  owner = await createUser(server);
  printer = await registerAndClaim(server, owner);
});
after(() => server.stop());

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('an unclaimed registration expires after --registration-ttl', async () => {
  const { body } = await registerPrinter(server);
  assert.equal(body.token_duration, '1');
  await sleep(1100);
  const claim = await cloudApi(server, 'confirm', { token: body.registration_token }, { token: owner.token });
  assert.equal(claim.status, 404);
  assert.match(claim.body.message, /unknown or has expired/);
  const poll = await (await fetch(body.polling_url)).json();
  assert.equal(poll.success, false);
  assert.equal(poll.errorCode, 17);
  await until('the sweep', async () => ((await server.context.store.db.selectFrom('printers').select('id').where('id', '=', body.printers[0].id).executeTakeFirst()) ? undefined : true));
});

test('finished jobs are deleted with their documents after --job-retention', async () => {
  const { body } = await submitJob(server, owner.token, printer.printerId);
  const id = body.job.id as string;
  await cloudApi(server, 'control', { jobid: id, status: 'DONE' }, { token: printer.accessToken });
  assert.ok(existsSync(join(server.dataDir, 'documents', id)));
  await until('job deletion', async () => ((await cloudApi(server, 'ticket', { jobid: id }, { token: owner.token, as: 'query' })).status === 404 ? true : undefined));
  // The row goes first, then the file (a crash in between leaves an orphan the start-up sweep removes).
  await until('document deletion', async () => (existsSync(join(server.dataDir, 'documents', id)) ? undefined : true));
});

test('a job left queued past --job-retention is aborted with EXPIRATION, then deleted', async () => {
  const { body } = await submitJob(server, owner.token, printer.printerId);
  const id = body.job.id as string;
  const state = await until('expiration', async () => {
    const jobs = await cloudApi(server, 'jobs', { printerid: printer.printerId }, { token: owner.token });
    return jobs.body.jobs.find((job: { id: string; status: string }) => job.id === id && job.status === 'ERROR')?.semanticState.state;
  });
  assert.deepEqual(state, { type: 'ABORTED', service_action_cause: { error_code: 'EXPIRATION' } });
  await until('deletion', async () => ((await cloudApi(server, 'jobs', { printerid: printer.printerId }, { token: owner.token })).body.jobs.some((job: { id: string }) => job.id === id) ? undefined : true));
});

test('a proximity token stops working when it expires', async () => {
  const { body } = await cloudApi(server, 'proximitytoken', { printerid: printer.printerId, user: owner.email }, { token: printer.accessToken });
  const token = body.proximity_token.token as string;
  assert.equal((await cloudApi(server, 'search', {}, { token })).status, 200);
  // Age it instead of waiting ten minutes.
  await server.context.store.db.updateTable('proximity_tokens').set({ expires_at: Date.now() - 1 }).execute();
  const expired = await cloudApi(server, 'search', {}, { token });
  assert.equal(expired.status, 401);
});
