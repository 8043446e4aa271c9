// Smaller rules of the interface, each with a test that fails without it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, oauthToken, registerAndClaim, registerPrinter, SAMPLE_CDD, submitJob, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';

let server: TestServer;
let owner: TestUser;
let printer: ClaimedPrinter;

before(async () => {
  server = await startTestServer();
  owner = await createUser(server);
  printer = await registerAndClaim(server, owner);
});
after(() => server.stop());

const update = (params: Record<string, string | string[]>, token = printer.accessToken) => cloudApi(server, 'update', { printerid: printer.printerId, ...params }, { token });

test('update refuses bad tags, remove_tag patterns, channels and non-CDD capabilities', async () => {
  assert.equal((await update({ tag: Array.from({ length: 501 }, (_, i) => `t${i}`) })).status, 400);
  assert.match((await update({ tag: 'x'.repeat(4097) })).body.message, /longer than 4096/);
  assert.match((await update({ remove_tag: 'x'.repeat(201) })).body.message, /longer than 200/);
  assert.match((await update({ notification_channel: 'PIGEON' })).body.message, /XMPP_CHANNEL, FCM_CHANNEL/);
  const legacy = await update({ use_cdd: 'false', capabilities: JSON.stringify(SAMPLE_CDD) });
  assert.equal(legacy.status, 400);
  assert.match(legacy.body.message, /use_cdd=true/);
  assert.equal((await update({ notification_channel: 'FCM_CHANNEL' })).body.success, true);
  const view = await cloudApi(server, 'printer', { printerid: printer.printerId }, { token: owner.token });
  assert.equal(view.body.printers[0].notificationChannel, 'FCM_CHANNEL');
});

test('only users create robots and claim printers', async () => {
  assert.equal((await cloudApi(server, 'createrobot', {}, { token: printer.accessToken })).status, 403);
  const { body } = await registerPrinter(server);
  assert.equal((await cloudApi(server, 'confirm', { token: body.registration_token }, { token: printer.accessToken })).status, 403);
});

test('unshare: a USER may drop their own share; only owners drop OWNER shares', async () => {
  const user = await createUser(server);
  const manager = await createUser(server);
  const coOwner = await createUser(server);
  for (const [who, role] of [[user, 'USER'], [manager, 'MANAGER'], [coOwner, 'OWNER']] as const) {
    assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, scope: who.email, role }, { token: owner.token })).body.success, true);
  }
  assert.equal((await cloudApi(server, 'unshare', { printerid: printer.printerId, scope: manager.email }, { token: user.token })).status, 403);
  assert.equal((await cloudApi(server, 'unshare', { printerid: printer.printerId, scope: coOwner.email }, { token: manager.token })).status, 403);
  assert.equal((await cloudApi(server, 'unshare', { printerid: printer.printerId, scope: user.email }, { token: user.token })).body.success, true);
  assert.equal((await cloudApi(server, 'unshare', { printerid: printer.printerId, scope: user.email }, { token: owner.token })).status, 400, 'nothing left to unshare');
  assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, public: 'true', role: 'MANAGER' }, { token: owner.token })).status, 400, 'public shares are USER only');
  assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, scope: 'not-an-email' }, { token: owner.token })).status, 400);
});

test('a proximity token sees only its printer, and only the jobs made with it', async () => {
  const other = await registerAndClaim(server, owner, { name: 'Elsewhere' });
  await submitJob(server, owner.token, other.printerId, { title: 'elsewhere' });
  const before = await submitJob(server, owner.token, printer.printerId, { title: 'here, before the token' });
  await new Promise((resolve) => setTimeout(resolve, 5)); // a later millisecond
  const { body } = await cloudApi(server, 'proximitytoken', { printerid: printer.printerId, user: owner.email }, { token: printer.accessToken });
  const token = body.proximity_token.token as string;
  const printers = await cloudApi(server, 'search', {}, { token });
  assert.deepEqual(printers.body.printers.map((p: { id: string }) => p.id), [printer.printerId]);
  const since = await submitJob(server, token, printer.printerId, { title: 'here, with the token' });
  const jobs = await cloudApi(server, 'jobs', {}, { token });
  assert.deepEqual(jobs.body.jobs.map((job: { id: string }) => job.id), [since.body.job.id], 'whoever reaches the printer must not read the user\'s earlier jobs');
  assert.equal((await cloudApi(server, 'ticket', { jobid: before.body.job.id }, { token, as: 'query' })).status, 404);
  assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, scope: 'x@example.com' }, { token })).status, 403, 'a proximity token is a USER');
});

test('download accepts jobid as well as id; a reported local job has no document', async () => {
  const { body } = await submitJob(server, owner.token, printer.printerId, { content: 'by jobid', contentType: 'text/plain' });
  const download = await cloudApi(server, 'download', { jobid: body.job.id }, { token: printer.accessToken, as: 'query' });
  assert.equal(download.status, 200);
  assert.equal(download.body, 'by jobid');
  const local = await cloudApi(server, 'submit', { printerid: printer.printerId, title: 'local', contentType: 'application/pdf', final_semantic_state: JSON.stringify({ state: { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } } }) }, { token: printer.accessToken });
  const missing = await cloudApi(server, 'download', { id: local.body.job.id }, { token: printer.accessToken, as: 'query' });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.errorCode, 21);
});

test('getauthcode hands out a new code only after the last one expired unused', async () => {
  const { body: reg } = await registerPrinter(server);
  await cloudApi(server, 'confirm', { token: reg.registration_token }, { token: owner.token });
  const first = await (await fetch(reg.polling_url)).json();
  assert.equal(first.success, true);
  assert.equal((await (await fetch(reg.polling_url)).json()).errorCode, 20);
  await expireCodes();
  const second = await (await fetch(reg.polling_url)).json();
  assert.equal(second.success, true);
  assert.notEqual(second.authorization_code, first.authorization_code);
});

/** Ages every handed-out code past its 10 minutes, as if it expired unused. */
async function expireCodes() {
  const past = Date.now() - 10 * 60 * 1000 - 1;
  await server.context.store.db.updateTable('tokens').set({ expires_at: past }).where('kind', '=', 'code').execute();
  await server.context.store.db.updateTable('accounts').set({ code_issued_at: past }).where('code_issued_at', 'is not', null).execute();
}

test('getauthcode hands out no new code after the last one was burnt by an exchange with another client_id', async () => {
  const { body: reg } = await registerPrinter(server);
  await cloudApi(server, 'confirm', { token: reg.registration_token }, { token: owner.token });
  const { authorization_code: code } = await (await fetch(reg.polling_url + 'printer-client')).json();
  const stolen = await oauthToken(server, { grant_type: 'authorization_code', code, client_id: 'thief-client' });
  assert.equal(stolen.body.error, 'invalid_grant');
  assert.equal((await oauthToken(server, { grant_type: 'authorization_code', code, client_id: 'printer-client' })).body.error, 'invalid_grant', 'the code is burnt');
  const again = await (await fetch(reg.polling_url + 'thief-client')).json();
  assert.equal(again.errorCode, 20, 'whoever burnt the code knows the printer id: no fresh code for it');
  await expireCodes();
  assert.equal((await (await fetch(reg.polling_url + 'printer-client')).json()).errorCode, 20, 'a burnt code did not expire unused');
});

test("getauthcode does not hand out a new code after the robot's tokens are revoked", async () => {
  const { body: reg } = await registerPrinter(server);
  await cloudApi(server, 'confirm', { token: reg.registration_token }, { token: owner.token });
  const { authorization_code: code } = await (await fetch(reg.polling_url)).json();
  const grant = await oauthToken(server, { grant_type: 'authorization_code', code });
  await fetch(`${server.url}/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token: grant.body.refresh_token }) });
  const again = await (await fetch(reg.polling_url)).json();
  assert.equal(again.success, false);
  assert.equal(again.errorCode, 20, 'the printer id alone must not be enough to mint the robot new tokens');
});

test('at start-up, documents no job refers to and unfinished uploads are removed', async () => {
  const dataDir = server.dataDir;
  const { body } = await submitJob(server, owner.token, printer.printerId);
  await server.stop({ keepData: true });
  const orphan = join(dataDir, 'documents', '00000000-0000-0000-0000-000000000000');
  const partial = join(dataDir, 'documents', '.incoming', 'cut-off-upload');
  writeFileSync(orphan, 'never acknowledged');
  writeFileSync(partial, 'half');
  server = await startTestServer({ dataDir });
  assert.equal(existsSync(orphan), false);
  assert.equal(existsSync(partial), false);
  assert.equal(existsSync(join(dataDir, 'documents', body.job.id)), true, 'documents of jobs stay');
});

test('remove_tag takes `.*` as its only wildcard: a catastrophic regular expression is just text', async () => {
  const evil = 'a'.repeat(40) + '!';
  assert.equal((await update({ tag: [evil, '__cp__x=1', 'keep'] })).body.success, true);
  const started = Date.now();
  assert.equal((await update({ remove_tag: '(a|a)*' })).body.success, true);
  assert.ok(Date.now() - started < 2000, 'answered at once');
  assert.equal((await update({ remove_tag: ['__cp__.*', 'a.*a!'] })).body.success, true);
  const tags = (await cloudApi(server, 'printer', { printerid: printer.printerId }, { token: owner.token })).body.printers[0].tags as string[];
  assert.ok(tags.includes('keep'));
  assert.ok(!tags.includes(evil) && !tags.includes('__cp__x=1'));
});

test('a proximity token prints to its printer but cannot create robots, claim or register', async () => {
  const stranger = await createUser(server);
  const { body } = await cloudApi(server, 'proximitytoken', { printerid: printer.printerId, user: stranger.email }, { token: printer.accessToken });
  const token = body.proximity_token.token as string;
  assert.equal((await submitJob(server, token, printer.printerId)).status, 200);
  for (const path of ['createrobot', 'register', 'share', 'update']) {
    const reply = await cloudApi(server, path, { printerid: printer.printerId, name: 'x' }, { token });
    assert.equal(reply.status, 403, path);
    assert.match(reply.body.message, /proximity token cannot call/);
  }
});

test('CCS device credentials are refused by the cloud print interface', async () => {
  const device = await server.context.accounts.createDevice();
  const token = await server.context.accounts.issueApiToken(device.id);
  const reply = await cloudApi(server, 'search', {}, { token });
  assert.equal(reply.status, 403);
  assert.match(reply.body.message, /Device credentials/);
});

test('a document sent with a finished local-job report is not kept', async () => {
  const { readdirSync } = await import('node:fs');
  const reply = await cloudApi(server, 'submit', {
    printerid: printer.printerId,
    title: 'printed locally',
    contentType: 'application/pdf',
    final_semantic_state: JSON.stringify({ version: '1.0', state: { type: 'DONE' } }),
    content: new Blob(['%PDF-1.4\n%%EOF\n']),
  }, { token: owner.token, as: 'multipart' });
  assert.equal(reply.body.success, true);
  const incoming = join(server.dataDir, 'documents', '.incoming');
  assert.deepEqual(existsSync(incoming) ? readdirSync(incoming) : [], []);
});
