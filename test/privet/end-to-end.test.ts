// The whole story (issue 4 "Done means"), against a real `ocp server` and a
// real `ocp printer` child process: out of the box → /privet/register with
// panel confirmation → claimed → /privet/info shows the id → a cloud job
// arrives over XMPP and lands in the output dir → a local advanced print →
// pending settings applied → a delete notification resets the printer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, submitJob, type TestUser } from '../helpers/cloud.ts';
import { cloudArgs, makePdf, startPrinter, waitFor, type TestPrinter } from './helpers.ts';

let server: TestServer;
let printer: TestPrinter;
let owner: TestUser;

before(async () => {
  server = await startTestServer();
  owner = await createUser(server);
  printer = await startPrinter({
    name: 'E2E Printer',
    cloud: server.url,
    args: ['--no-mdns', ...cloudArgs(server), '--confirmation-timeout', '10'],
  });
});
after(async () => {
  await printer?.stop();
  printer?.cleanup();
  await server?.stop();
});

const register = (action: string, user = owner.email) => printer.call(`/privet/register?action=${action}&user=${encodeURIComponent(user)}`, { method: 'POST' });

test('out of the box → registered, online, printing from the cloud and locally, settings, deletion', async () => {
  // 1. Local registration with the panel's OK (Privet §4.3, §6.1).
  assert.deepEqual((await printer.info()).api, ['/privet/register']);
  assert.deepEqual((await register('start')).json, { action: 'start', user: owner.email });
  assert.equal((await register('getClaimToken')).json.error, 'pending_user_action');
  await printer.panelPost('/panel/confirm');
  const claim = await waitFor('claim token', async () => {
    const reply = await register('getClaimToken');
    return reply.json.error === 'pending_user_action' ? undefined : reply.json;
  });
  assert.equal(claim.action, 'getClaimToken');
  assert.ok(claim.token && claim.claim_url && claim.automated_claim_url, JSON.stringify(claim));
  // 2. The user claims it in the cloud, as Chrome does (B3 step 3).
  const confirmed = await cloudApi(server, 'confirm', { token: String(claim.token) }, { token: owner.token });
  assert.equal(confirmed.body.success, true, JSON.stringify(confirmed.body));
  const done = await register('complete');
  const printerId = String(done.json.device_id);
  assert.ok(printerId, JSON.stringify(done.json));
  // 3. /privet/info shows the id, /privet/register is gone (404), the channel comes online.
  const info = await waitFor('online', async () => {
    const i = await printer.info();
    return i.connection_state === 'online' ? i : undefined;
  });
  assert.equal(info.id, printerId);
  assert.ok(!(info.api as string[]).includes('/privet/register'));
  assert.equal((await printer.call('/privet/register?action=start&user=x@y.z', { method: 'POST' })).status, 404);
  // Online with conversion printing: capabilities offer */*, but not with offline=1 (§4.5).
  const caps = (await printer.call('/privet/capabilities')).json as { printer: { supported_content_type: Array<{ content_type: string }> } };
  assert.ok(caps.printer.supported_content_type.some((t) => t.content_type === '*/*'));
  const offlineCaps = (await printer.call('/privet/capabilities?offline=1')).json as typeof caps;
  assert.ok(!offlineCaps.printer.supported_content_type.some((t) => t.content_type === '*/*'));
  // The cloud has the local settings sent at registration (§4.1.1).
  const cloudPrinter = (await cloudApi(server, 'printer', { printerid: printerId }, { token: owner.token })).body.printers[0];
  assert.equal(cloudPrinter.local_settings.current.xmpp_timeout_value, 300);

  // 4. /privet/accesstoken goes through /cloudprint/proximitytoken (§4.4).
  const access = (await printer.call(`/privet/accesstoken?user=${encodeURIComponent(owner.email)}`)).json;
  assert.ok(access.token, JSON.stringify(access));
  assert.ok(Number(access.expires_in) > 0);

  // 5. A cloud job arrives over XMPP and lands in the output dir; the cloud sees DONE.
  const document = makePdf(3, 'From the cloud');
  const submitted = await submitJob(server, owner.token, printerId, { title: 'Cloud job', content: new Uint8Array(document) });
  assert.equal(submitted.body.success, true, JSON.stringify(submitted.body));
  const cloudJobId = String(submitted.body.job.id);
  const sidecar = await waitFor('cloud job printed', () => {
    const file = readdirSync(printer.outputDir).find((f) => f.endsWith('.json') && JSON.parse(readFileSync(join(printer.outputDir, f), 'utf8')).server_job_id === cloudJobId);
    return file ? JSON.parse(readFileSync(join(printer.outputDir, file), 'utf8')) : undefined;
  }, 20_000);
  assert.equal(sidecar.state.type, 'DONE');
  assert.equal(sidecar.job_name, 'Cloud job');
  assert.deepEqual(readFileSync(sidecar.document), document);
  const cloudState = await waitFor('DONE in the cloud', async () => {
    const jobs = (await cloudApi(server, 'jobs', { printerid: printerId }, { token: owner.token })).body.jobs as Array<Record<string, any>>;
    const job = jobs.find((j) => j.id === cloudJobId);
    return job?.semanticState?.state?.type === 'DONE' ? job : undefined;
  });
  assert.equal(cloudState.semanticState.pages_printed, 3);

  // 6. A local advanced print, reported to the cloud with final_semantic_state (§5.2 note).
  const created = (await printer.call('/privet/printer/createjob', { method: 'POST', body: JSON.stringify({ version: '1.0', print: {} }) })).json;
  const local = await printer.call(`/privet/printer/submitdoc?job_id=${created.job_id}&job_name=Local%20job&user_name=${encodeURIComponent(owner.email)}`, { method: 'POST', body: makePdf(1), headers: { 'Content-Type': 'application/pdf' } });
  assert.equal(local.json.job_id, created.job_id);
  assert.equal((await printer.call(`/privet/printer/jobstate?job_id=${created.job_id}`)).json.state, 'done');
  await waitFor('local job reported', async () => {
    const jobs = (await cloudApi(server, 'jobs', { printerid: printerId }, { token: owner.token })).body.jobs as Array<Record<string, any>>;
    return jobs.find((j) => j.title === 'Local job' && j.semanticState?.state?.type === 'DONE');
  });
  const reported = await waitFor('server_job_id', async () => (await printer.call(`/privet/printer/jobstate?job_id=${created.job_id}`)).json.server_job_id);
  assert.ok(reported);

  // 7. The owner changes settings: update_settings notification → applied → confirmed as current (§4.1.3).
  const updated = await cloudApi(server, 'update', { printerid: printerId, local_settings: JSON.stringify({ current: { local_discovery: true, access_token_enabled: false, 'printer/local_printing_enabled': true, 'printer/conversion_printing_enabled': false, xmpp_timeout_value: 600 } }) }, { token: owner.token });
  assert.equal(updated.body.success, true, JSON.stringify(updated.body));
  await waitFor('pending settings confirmed', async () => {
    const p = (await cloudApi(server, 'printer', { printerid: printerId }, { token: owner.token })).body.printers[0];
    return p.local_settings.pending.xmpp_timeout_value === 600 && p.local_settings.current.xmpp_timeout_value === 600 ? p : undefined;
  });
  const afterSettings = await printer.info();
  assert.ok(!(afterSettings.api as string[]).includes('/privet/accesstoken'));
  assert.equal((await printer.call(`/privet/accesstoken?user=${encodeURIComponent(owner.email)}`)).status, 404);
  const capsNow = (await printer.call('/privet/capabilities')).json as typeof caps;
  assert.ok(!capsNow.printer.supported_content_type.some((t) => t.content_type === '*/*'));

  // 8. The owner deletes the printer: delete notification → /printer finds nothing → out of the box (§4.1.5).
  const deleted = await cloudApi(server, 'delete', { printerid: printerId }, { token: owner.token });
  assert.equal(deleted.body.success, true, JSON.stringify(deleted.body));
  const reset = await waitFor('reset to out of the box', async () => {
    const i = await printer.info();
    return i.id === '' ? i : undefined;
  });
  assert.deepEqual(reset.api, ['/privet/register']);
  const state = JSON.parse(readFileSync(join(printer.dataDir, 'state.json'), 'utf8'));
  assert.equal(state.registration, null);
  assert.ok(existsSync(join(printer.dataDir, 'ports.json')));
});
