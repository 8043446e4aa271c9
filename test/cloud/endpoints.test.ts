// The /cloudprint interface end to end over real HTTP, once on a real SQLite
// file and once on a real PostgreSQL database.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { claimPrinter, MAX_FAILED_CLAIMS } from '../../src/cloud/registration.ts';
import type { CloudError } from '../../src/cloud/errors.ts';
import type { CloudService } from '../../src/cloud/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import {
  cloudApi, createUser, oauthToken, registerAndClaim, registerPrinter, SAMPLE_CDD, submitJob, type ClaimedPrinter, type TestUser,
} from '../helpers/cloud.ts';

const diff = (value: unknown) => JSON.stringify(value);

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`cloudprint endpoints [${dialect}]`, () => {
    let server: TestServer;
    let pgdb: TestDatabase | undefined;
    let owner: TestUser;
    let friend: TestUser;
    let stranger: TestUser;
    let printer: ClaimedPrinter;

    before(async () => {
      if (dialect === 'postgres') pgdb = await createTestDatabase();
      server = await startTestServer(pgdb ? { database: pgdb.url } : {});
      owner = await createUser(server);
      friend = await createUser(server);
      stranger = await createUser(server);
      printer = await registerAndClaim(server, owner, { name: 'Office' });
    });
    after(async () => {
      await server.stop();
      await pgdb?.drop();
    });

    test('anonymous register answers with every registration field of the original', async () => {
      const { status, body } = await registerPrinter(server, { name: 'Lobby' });
      assert.equal(status, 200);
      assert.equal(body.success, true);
      assert.match(body.registration_token, /^[A-Z2-9]{5}$/);
      assert.equal(body.token_duration, String(server.context.config.registrationTtlSeconds));
      assert.equal(typeof body.token_duration, 'string');
      assert.equal(body.invite_url, `${server.url}/cloudprint/claimprinter.html`);
      assert.equal(body.complete_invite_url, `${server.url}/cloudprint/claimprinter.html?token=${body.registration_token}`);
      assert.equal(body.automated_invite_url, `${server.url}/cloudprint/confirm?token=${body.registration_token}`);
      assert.equal(body.invite_page_url, `${server.url}/cloudprint/regtokenpage?t=${body.registration_token}`);
      assert.match(body.polling_url, /\/cloudprint\/getauthcode\?printerid=[0-9a-f-]{36}&oauth_client_id=$/);
      assert.equal(body.printers[0].name, 'Lobby');
      assert.equal(body.printers[0].id, new URL(body.polling_url + 'x').searchParams.get('printerid'));
      assert.deepEqual(body.printers[0].capabilities, SAMPLE_CDD);
      assert.deepEqual(body.printers[0].semanticState, { version: '', printer: { state: 'IDLE' } }, 'empty CDS version accepted');
      assert.deepEqual(body.request.params.printer, ['Lobby']);
    });

    test('register → claim → getauthcode → token exchange gives working robot credentials', async () => {
      const { body: reg } = await registerPrinter(server, { name: 'Claimed' });
      const before = await (await fetch(reg.polling_url + 'client-1')).json();
      assert.equal(before.success, false, 'getauthcode fails until the claim');
      assert.equal(before.errorCode, 18);
      const claim = await cloudApi(server, 'confirm', { token: reg.registration_token }, { token: owner.token, as: 'query' });
      assert.equal(claim.body.success, true);
      const again = await cloudApi(server, 'confirm', { token: reg.registration_token }, { token: friend.token });
      assert.equal(again.status, 404, 'a token claims once');
      const auth = await (await fetch(reg.polling_url + 'client-1')).json();
      assert.equal(auth.success, true);
      assert.equal(auth.user_email, owner.email);
      assert.match(auth.xmpp_jid, /^[0-9a-f]{32}@localhost$/);
      assert.match(auth.authorization_code, /^4\//);
      assert.match(auth.confirmation_page_url, /\/cloudprint\/regconfirmpage\?printername=Claimed&email=/);
      const second = await (await fetch(reg.polling_url + 'client-1')).json();
      assert.equal(second.success, false, 'the code is handed out once');
      const grant = await oauthToken(server, { grant_type: 'authorization_code', code: auth.authorization_code, client_id: 'client-1', redirect_uri: 'oob' });
      assert.equal(grant.status, 200);
      const { access_token, refresh_token } = grant.body as { access_token: string; refresh_token: string };
      const listed = await cloudApi(server, 'list', {}, { token: access_token });
      assert.deepEqual(listed.body.printers.map((p: { id: string }) => p.id), [reg.printers[0].id]);
      const mine = await cloudApi(server, 'search', {}, { token: owner.token });
      assert.ok(mine.body.printers.some((p: { id: string; ownerId: string }) => p.id === reg.printers[0].id && p.ownerId === owner.email));
    });

    test('of 16 concurrent getauthcode polls exactly one gets a code, and it works', async () => {
      for (let round = 0; round < 3; round++) {
        const { body: reg } = await registerPrinter(server, { name: `Polled ${round}` });
        await cloudApi(server, 'confirm', { token: reg.registration_token }, { token: owner.token });
        const polls = await Promise.all(Array.from({ length: 16 }, async () => (await fetch(reg.polling_url + 'client-p')).json()));
        const codes = polls.filter((poll) => poll.success).map((poll) => poll.authorization_code as string);
        assert.equal(codes.length, 1, `round ${round}: ${codes.length} codes`);
        assert.ok(polls.every((poll) => poll.success || poll.errorCode === 20));
        assert.equal((await oauthToken(server, { grant_type: 'authorization_code', code: codes[0]!, client_id: 'client-p' })).status, 200);
      }
    });

    test('guessing registration tokens is cut off after MAX_FAILED_CLAIMS wrong ones', async () => {
      const guesser = await createUser(server);
      const { body: reg } = await registerPrinter(server, { name: 'Guarded' });
      for (let i = 0; i < MAX_FAILED_CLAIMS; i++) {
        assert.equal((await cloudApi(server, 'confirm', { token: 'ZZZZ' + i }, { token: guesser.token })).status, 404);
      }
      const blocked = await cloudApi(server, 'confirm', { token: reg.registration_token }, { token: guesser.token });
      assert.equal(blocked.status, 429, 'even the right token is refused once the guesses are used up');
      assert.equal(blocked.body.errorCode, 23);
      assert.equal((await cloudApi(server, 'confirm', { token: reg.registration_token }, { token: owner.token })).body.success, true, 'other users are not affected');
    });

    test('registration-token guesses sent at once are counted too, and a right token is not counted', async () => {
      const guesser = (await server.context.accounts.findByEmail((await createUser(server)).email))!;
      // Called directly, all the attempts are under way before the first lookup answers.
      const service = { db: server.context.store.db, config: server.context.config, accounts: server.context.accounts, bus: server.context.bus, log: server.context.log } as unknown as CloudService;
      for (let i = 0; i < MAX_FAILED_CLAIMS + 2; i++) {
        const { body: reg } = await registerPrinter(server, { name: `Mine ${i}` });
        await claimPrinter(service, reg.registration_token, guesser);
      }
      const { body: target } = await registerPrinter(server, { name: 'Guessed' });
      const guesses = Array.from({ length: 29 }, (_, i) => `YYYY${i}`).concat(target.registration_token);
      const outcomes = await Promise.allSettled(guesses.map((token) => claimPrinter(service, token, guesser)));
      const codes = outcomes.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as CloudError).kind : 'claimed'));
      assert.equal(codes.filter((code) => code === 'REGISTRATION_NOT_FOUND').length, MAX_FAILED_CLAIMS);
      assert.equal(codes.filter((code) => code === 'TOO_MANY_CLAIM_ATTEMPTS').length, 30 - MAX_FAILED_CLAIMS, 'the right token, guessed thirtieth, is refused too');
    });

    test('Chrome-style register: capabilities as a multipart part with Content-Type application/json', async () => {
      const { body } = await cloudApi(server, 'register', { printer: 'Chrome style', capabilities: new Blob([JSON.stringify(SAMPLE_CDD)], { type: 'application/json' }) }, { as: 'multipart' });
      assert.equal(body.success, true);
      assert.deepEqual(body.printers[0].capabilities, SAMPLE_CDD);
    });

    test('an unknown registration token cannot be claimed; register with a bad token is 401', async () => {
      const claim = await cloudApi(server, 'confirm', { token: 'ZZZZZ' }, { token: owner.token });
      assert.equal(claim.status, 404);
      assert.equal(claim.body.errorCode, 17);
      const anonymousConfirm = await cloudApi(server, 'confirm', { token: 'ZZZZZ' });
      assert.equal(anonymousConfirm.status, 401);
      const badToken = await registerPrinter(server, { token: 'ocpa_not-a-token' });
      assert.equal(badToken.status, 401);
      assert.equal(badToken.body.errorCode, 12);
    });

    test('printer: CDD, queuedJobsCount as a number, semanticState, local settings; OAuth scheme and query parameters work', async () => {
      const { status, body } = await cloudApi(server, 'printer', { printerid: printer.printerId, use_cdd: 'true', extra_fields: 'queuedJobsCount,semanticState' }, { token: printer.accessToken, scheme: 'OAuth', as: 'query' });
      assert.equal(status, 200);
      const view = body.printers[0];
      assert.equal(view.id, printer.printerId);
      assert.deepEqual(view.capabilities, SAMPLE_CDD);
      assert.equal(typeof view.queuedJobsCount, 'number');
      assert.deepEqual(view.semanticState.printer, { state: 'IDLE' });
      assert.equal(view.local_settings.current.xmpp_timeout_value, 300);
      assert.deepEqual(view.local_settings.pending, view.local_settings.current, 'nothing waits: pending is current');
    });

    test('proxies see only __cp__ tags; owners see all', async () => {
      const update = await cloudApi(server, 'update', { printerid: printer.printerId, tag: ['__cp__a=1', 'plain', '__cp_printer_passes_2018_cert__=UNKNOWN'] }, { token: printer.accessToken });
      assert.equal(update.body.success, true);
      assert.equal(update.body.message, 'Printer updated successfully');
      const asProxy = await cloudApi(server, 'printer', { printerid: printer.printerId }, { token: printer.accessToken });
      assert.deepEqual(asProxy.body.printers[0].tags, ['__cp__a=1']);
      const asOwner = await cloudApi(server, 'printer', { printerid: printer.printerId }, { token: owner.token });
      assert.deepEqual(asOwner.body.printers[0].tags.sort(), ['__cp__a=1', '__cp_printer_passes_2018_cert__=UNKNOWN', 'plain']);
      const replaced = await cloudApi(server, 'update', { printerid: printer.printerId, remove_tag: '__cp__.*', tag: '__cp__b=2' }, { token: printer.accessToken });
      assert.equal(replaced.body.success, true);
      const after = await cloudApi(server, 'printer', { printerid: printer.printerId }, { token: owner.token });
      assert.deepEqual(after.body.printers[0].tags.sort(), ['__cp__b=2', '__cp_printer_passes_2018_cert__=UNKNOWN', 'plain']);
    });

    test('local settings: others write pending (and the device is told); only the device writes current, which clears pending', async () => {
      const events: unknown[] = [];
      const unsubscribe = server.context.bus.subscribe((event) => event.type === 'printer-changed' || events.push(event)); // the devices' notices, not the console's hints
      try {
        const pending = { current: { local_discovery: true, xmpp_timeout_value: 500 } };
        const byOwner = await cloudApi(server, 'update', { printerid: printer.printerId, local_settings: diff(pending) }, { token: owner.token });
        assert.equal(byOwner.body.success, true);
        let view = (await cloudApi(server, 'printer', { printerid: printer.printerId }, { token: printer.accessToken })).body.printers[0];
        assert.equal(view.local_settings.current.xmpp_timeout_value, 300, 'owner did not change current');
        assert.equal(view.local_settings.pending.xmpp_timeout_value, 500);
        assert.deepEqual(events, [{ type: 'printer', kind: 'update_settings', printerId: printer.printerId, recipients: [printer.jidLocal] }]);
        assert.deepEqual(await server.context.pushDirectory.missedNotifications(printer.jidLocal), [{ type: 'printer', kind: 'update_settings', printerId: printer.printerId, recipients: [printer.jidLocal] }]);
        const withPending = await cloudApi(server, 'update', { printerid: printer.printerId, local_settings: diff({ current: {}, pending: {} }) }, { token: printer.accessToken });
        assert.equal(withPending.status, 400, 'a device never sends pending');
        const byDevice = await cloudApi(server, 'update', { printerid: printer.printerId, local_settings: diff({ current: { local_discovery: true, xmpp_timeout_value: 500 } }) }, { token: printer.accessToken });
        assert.equal(byDevice.body.success, true);
        view = (await cloudApi(server, 'printer', { printerid: printer.printerId }, { token: printer.accessToken })).body.printers[0];
        assert.equal(view.local_settings.current.xmpp_timeout_value, 500);
        assert.deepEqual(view.local_settings.pending, view.local_settings.current, 'nothing waits any more');
        assert.equal(await server.context.pushDirectory.pingIntervalSeconds(printer.jidLocal), 500);
        const badSetting = await cloudApi(server, 'update', { printerid: printer.printerId, local_settings: diff({ current: { xmpp_timeout_value: 'soon' } }) }, { token: printer.accessToken });
        assert.equal(badSetting.status, 400);
        assert.match(badSetting.body.message, /xmpp_timeout_value/);
      } finally {
        unsubscribe();
      }
    });

    test('submit → fetch → ticket → download → control IN_PROGRESS → DONE; fetch says 413 when empty', async () => {
      const events: unknown[] = [];
      const unsubscribe = server.context.bus.subscribe((event) => event.type === 'printer-changed' || events.push(event)); // the devices' notices, not the console's hints
      const ticket = { version: '1.0', print: { duplex: { type: 'LONG_EDGE' }, copies: { copies: 2 }, media_size: { width_microns: 210000, height_microns: 297000 } } };
      const submitted = await submitJob(server, owner.token, printer.printerId, { title: 'Report', content: 'hello printer', contentType: 'text/plain', ticket, tags: ['t1'] });
      unsubscribe();
      assert.equal(submitted.status, 200);
      assert.match(submitted.body.message, /Print job added/);
      const jobId = submitted.body.job.id;
      assert.deepEqual(events, [{ type: 'printer', kind: 'jobs', printerId: printer.printerId, recipients: [printer.jidLocal] }]);
      const count = (await cloudApi(server, 'printer', { printerid: printer.printerId, extra_fields: 'queuedJobsCount' }, { token: printer.accessToken })).body.printers[0].queuedJobsCount;
      assert.equal(count, 1);
      assert.deepEqual((await server.context.pushDirectory.missedNotifications(printer.jidLocal)).map((n) => n.kind), ['jobs']);

      const fetched = await cloudApi(server, 'fetch', { printerid: printer.printerId, deb: 'notified' }, { token: printer.accessToken });
      assert.equal(fetched.body.success, true);
      assert.deepEqual(fetched.body.jobs.map((j: { id: string }) => j.id), [jobId]);
      const job = fetched.body.jobs[0];
      assert.equal(job.ownerId, owner.email);
      assert.equal(job.title, 'Report');
      assert.equal(typeof job.createTime, 'string');
      const again = await cloudApi(server, 'fetch', { printerid: printer.printerId }, { token: printer.accessToken });
      assert.equal(again.body.jobs.length, 1, 'fetch keeps returning a QUEUED job');

      const rawTicket = await fetch(job.ticketUrl, { headers: { authorization: `Bearer ${printer.accessToken}` } });
      assert.equal(rawTicket.status, 200);
      assert.deepEqual(await rawTicket.json(), ticket, 'the ticket is the raw CJT, no envelope');
      const download = await fetch(job.fileUrl, { headers: { authorization: `Bearer ${printer.accessToken}` } });
      assert.equal(download.status, 200);
      assert.equal(download.headers.get('content-type'), 'text/plain');
      assert.equal(await download.text(), 'hello printer');

      const progress = await cloudApi(server, 'control', { jobid: jobId, semantic_state_diff: diff({ state: { type: 'IN_PROGRESS' }, pages_printed: 1 }) }, { token: printer.accessToken });
      assert.equal(progress.body.success, true);
      const none = await cloudApi(server, 'fetch', { printerid: printer.printerId }, { token: printer.accessToken });
      assert.equal(none.status, 200);
      assert.equal(none.body.success, false);
      assert.equal(none.body.errorCode, 413);
      const done = await cloudApi(server, 'control', { jobid: jobId, semantic_state_diff: diff({ state: { type: 'DONE' }, pages_printed: 2 }) }, { token: printer.accessToken });
      assert.equal(done.body.success, true);
      const listed = await cloudApi(server, 'jobs', { printerid: printer.printerId }, { token: owner.token });
      const finished = listed.body.jobs.find((j: { id: string }) => j.id === jobId);
      assert.deepEqual(finished.semanticState, { version: '1.0', state: { type: 'DONE' }, pages_printed: 2 });
      assert.equal(finished.status, 'DONE');
      const illegal = await cloudApi(server, 'control', { jobid: jobId, semantic_state_diff: diff({ state: { type: 'IN_PROGRESS' } }) }, { token: printer.accessToken });
      assert.equal(illegal.status, 409);
      assert.equal(illegal.body.errorCode, 8);
      assert.match(illegal.body.message, /DONE is final/);
    });

    test('legacy control status= and ABORTED needs a cause', async () => {
      const { body } = await submitJob(server, owner.token, printer.printerId);
      const jobId = body.job.id;
      const noCause = await cloudApi(server, 'control', { jobid: jobId, semantic_state_diff: diff({ state: { type: 'ABORTED' } }) }, { token: printer.accessToken });
      assert.equal(noCause.status, 400);
      assert.match(noCause.body.message, /needs a cause/);
      const legacy = await cloudApi(server, 'control', { jobid: jobId, status: 'IN_PROGRESS' }, { token: printer.accessToken, as: 'query' });
      assert.equal(legacy.body.success, true);
      const error = await cloudApi(server, 'control', { jobid: jobId, status: 'ERROR' }, { token: printer.accessToken, as: 'query' });
      assert.equal(error.body.success, true);
      const jobs = await cloudApi(server, 'jobs', { printerid: printer.printerId, status: 'ERROR' }, { token: printer.accessToken });
      const aborted = jobs.body.jobs.find((j: { id: string }) => j.id === jobId);
      assert.deepEqual(aborted.semanticState.state, { type: 'ABORTED', device_action_cause: { error_code: 'OTHER' } });
    });

    test('HELD → QUEUED → IN_PROGRESS → STOPPED → IN_PROGRESS → ABORTED; QUEUED from IN_PROGRESS is illegal', async () => {
      const { body } = await submitJob(server, owner.token, printer.printerId);
      const jobId = body.job.id;
      const step = (state: unknown) => cloudApi(server, 'control', { jobid: jobId, semantic_state_diff: diff({ state }) }, { token: printer.accessToken });
      assert.equal((await step({ type: 'HELD' })).status, 200);
      assert.equal((await cloudApi(server, 'fetch', { printerid: printer.printerId }, { token: printer.accessToken })).body.jobs?.some((j: { id: string }) => j.id === jobId) ?? false, false, 'a HELD job is not fetched');
      const events: unknown[] = [];
      const unsubscribe = server.context.bus.subscribe((event) => event.type === 'printer-changed' || events.push(event)); // the devices' notices, not the console's hints
      assert.equal((await step({ type: 'QUEUED' })).status, 200);
      unsubscribe();
      assert.deepEqual(events, [{ type: 'printer', kind: 'jobs', printerId: printer.printerId, recipients: [printer.jidLocal] }], 'releasing a held job tells the device');
      assert.equal((await step({ type: 'IN_PROGRESS' })).status, 200);
      assert.equal((await step({ type: 'QUEUED' })).status, 409);
      assert.equal((await step({ type: 'STOPPED', device_state_cause: { error_code: 'MEDIA_PATH' } })).status, 200);
      assert.equal((await step({ type: 'IN_PROGRESS' })).status, 200);
      const aborted = await step({ type: 'ABORTED', device_action_cause: { error_code: 'PRINT_FAILURE' } });
      assert.equal(aborted.status, 200);
      assert.equal((await step({ type: 'DONE' })).status, 409);
    });

    test('a final job answers the very same report again and refuses any other; a state keeps only what JobState names', async () => {
      const { body } = await submitJob(server, owner.token, printer.printerId);
      const jobId = body.job.id;
      const control = (change: unknown, token = printer.accessToken) => cloudApi(server, 'control', { jobid: jobId, semantic_state_diff: diff(change) }, { token });
      const failure = { state: { type: 'ABORTED', device_action_cause: { error_code: 'PRINT_FAILURE' }, note: 'x'.repeat(1000) }, pages_printed: 3 };
      assert.equal((await control(failure)).status, 200);
      assert.equal((await control(failure)).status, 200, 'a retried report of the same end');
      const cancel = await control({ state: { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } } }, owner.token);
      assert.deepEqual([cancel.status, cancel.body.errorCode], [409, 8]);
      assert.match(cancel.body.message, /ABORTED is final/);
      assert.equal((await control({ pages_printed: 999 })).status, 409);
      const listed = await cloudApi(server, 'jobs', { printerid: printer.printerId }, { token: owner.token });
      const job = listed.body.jobs.find((j: { id: string }) => j.id === jobId);
      assert.deepEqual(job.semanticState, { version: '1.0', state: { type: 'ABORTED', device_action_cause: { error_code: 'PRINT_FAILURE' } }, pages_printed: 3 });
    });

    test('pages_printed above 2^31 - 1 is INVALID_STATE', async () => {
      const { body } = await submitJob(server, owner.token, printer.printerId);
      const tooMany = await cloudApi(server, 'control', { jobid: body.job.id, semantic_state_diff: diff({ pages_printed: 2 ** 31 }) }, { token: printer.accessToken });
      assert.deepEqual([tooMany.status, tooMany.body.errorCode], [400, 7]);
      assert.match(tooMany.body.message, /≤ 2147483647/);
    });

    test('tickets must be valid CJT and fit the CDD', async () => {
      const cases: Array<[unknown, number, RegExp]> = [
        [{ version: '1.0', print: { duplex: { type: 'SHORT_EDGE' } } }, 6, /duplex SHORT_EDGE/],
        [{ version: '1.0', print: { media_size: { width_microns: 100000, height_microns: 148000 } } }, 6, /media size/],
        [{ version: '1.0', print: { copies: { copies: 100 } } }, 6, /100 copies/],
        [{ version: '1.0', print: { duplex: { type: 'SIDEWAYS' } } }, 5, /ticket\.print\.duplex\.type must be one of/],
        [{ version: '1.0' }, 5, /ticket\.print must be an object/],
      ];
      for (const [ticket, errorCode, message] of cases) {
        const { status, body } = await submitJob(server, owner.token, printer.printerId, { ticket });
        assert.equal(status, 400, JSON.stringify(ticket));
        assert.equal(body.errorCode, errorCode);
        assert.match(body.message, message);
      }
      const badJson = await cloudApi(server, 'submit', { printerid: printer.printerId, title: 't', contentType: 'text/plain', content: 'x', ticket: '{"print":' }, { token: owner.token });
      assert.equal(badJson.status, 400);
      assert.equal(badJson.body.errorCode, 3);
      assert.match(badJson.body.message, /Parameter ticket is not valid JSON/);
      // A type neither the printer nor the cloud's converter takes (image/gif is converted: test/cloud/conversion/).
      const wrongType = await submitJob(server, owner.token, printer.printerId, { contentType: 'application/x-unknown' });
      assert.equal(wrongType.status, 415);
    });

    test('a form-urlencoded submit with inline content works', async () => {
      const { body } = await cloudApi(server, 'submit', { printerid: printer.printerId, title: 'inline', contentType: 'text/plain', content: 'inline text' }, { token: owner.token });
      assert.equal(body.success, true);
      assert.equal(body.request.params.content, undefined, 'the document is not echoed back');
      assert.deepEqual(body.request.params.title, ['inline']);
      const text = await (await fetch(body.job.fileUrl, { headers: { authorization: `Bearer ${owner.token}` } })).text();
      assert.equal(text, 'inline text');
    });

    test('invalid JSON and shapes in capabilities and semantic_state_diff', async () => {
      const badCaps = await registerPrinter(server, { extra: { capabilities: '{"printer":' } });
      assert.equal(badCaps.status, 400);
      assert.equal(badCaps.body.errorCode, 3);
      assert.match(badCaps.body.message, /capabilities is not valid JSON/);
      const badShape = await registerPrinter(server, { capabilities: { version: '1.0', printer: { duplex: { option: [{ type: 'BOTH' }] } } } });
      assert.equal(badShape.status, 400);
      assert.equal(badShape.body.errorCode, 4);
      assert.match(badShape.body.message, /capabilities\.printer\.duplex\.option\[0\]\.type/);
      const { body } = await submitJob(server, owner.token, printer.printerId);
      const badDiff = await cloudApi(server, 'control', { jobid: body.job.id, semantic_state_diff: 'not json' }, { token: printer.accessToken });
      assert.equal(badDiff.status, 400);
      assert.equal(badDiff.body.errorCode, 3);
      const unknownState = await cloudApi(server, 'control', { jobid: body.job.id, semantic_state_diff: diff({ state: { type: 'PRINTING' } }) }, { token: printer.accessToken });
      assert.equal(unknownState.status, 400);
      assert.equal(unknownState.body.errorCode, 7);
    });

    test('missing parameters, unknown ids, no token', async () => {
      const missing = await cloudApi(server, 'printer', {}, { token: owner.token });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.errorCode, 1);
      assert.equal(missing.body.message, 'Missing parameter: printerid');
      const unknownJob = await cloudApi(server, 'control', { jobid: 'nope', status: 'DONE' }, { token: printer.accessToken });
      assert.equal(unknownJob.status, 404);
      assert.equal(unknownJob.body.errorCode, 15);
      const unknownPrinter = await submitJob(server, owner.token, '00000000-0000-0000-0000-000000000000');
      assert.equal(unknownPrinter.status, 404);
      assert.equal(unknownPrinter.body.errorCode, 14);
      const ticket = await cloudApi(server, 'ticket', { jobid: 'nope' }, { token: printer.accessToken });
      assert.notEqual(ticket.status, 200, 'ticket errors are never HTTP 200');
      const anonymous = await cloudApi(server, 'jobs', {});
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.success, false);
    });

    test('a NUL in a parameter, or a contentType that is no media type, is INVALID_PARAMETER, not a server error', async () => {
      const nul = await submitJob(server, owner.token, printer.printerId, { title: 'a\u0000b' });
      assert.deepEqual([nul.status, nul.body.errorCode], [400, 2]);
      assert.match(nul.body.message, /title contains a NUL/);
      const poll = await fetch(`${server.url}/cloudprint/getauthcode?printerid=%00&oauth_client_id=x`);
      assert.equal(poll.status, 400);
      const euro = await submitJob(server, owner.token, printer.printerId, { contentType: 'application/pdf\u20ac' });
      assert.deepEqual([euro.status, euro.body.errorCode], [400, 2]);
    });

    test('sharing is enforced on every call', async () => {
      const { body: job } = await submitJob(server, owner.token, printer.printerId, { title: 'owner secret' });
      const hidden = await cloudApi(server, 'printer', { printerid: printer.printerId }, { token: stranger.token });
      assert.equal(hidden.status, 404, 'a stranger does not even see the printer');
      assert.equal((await submitJob(server, stranger.token, printer.printerId)).status, 404);
      assert.equal((await cloudApi(server, 'search', {}, { token: stranger.token })).body.printers.length, 0);
      assert.equal((await fetch(job.job.fileUrl, { headers: { authorization: `Bearer ${stranger.token}` } })).status, 404);
      assert.equal((await cloudApi(server, 'deletejob', { jobid: job.job.id }, { token: stranger.token })).status, 404);
      assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, scope: stranger.email }, { token: stranger.token })).status, 404);

      const shared = await cloudApi(server, 'share', { printerid: printer.printerId, scope: friend.email, role: 'USER', skip_notification: 'true' }, { token: owner.token });
      assert.equal(shared.body.success, true);
      const seen = await cloudApi(server, 'search', { q: 'off' }, { token: friend.token });
      assert.deepEqual(seen.body.printers.map((p: { id: string }) => p.id), [printer.printerId]);
      const friendJob = await submitJob(server, friend.token, printer.printerId, { title: 'friend job' });
      assert.equal(friendJob.status, 200);
      const friendJobs = await cloudApi(server, 'jobs', { printerid: printer.printerId }, { token: friend.token });
      assert.deepEqual(friendJobs.body.jobs.map((j: { title: string }) => j.title), ['friend job'], 'a USER sees only their own jobs');
      assert.equal((await cloudApi(server, 'fetch', { printerid: printer.printerId }, { token: friend.token })).status, 403);
      assert.equal((await cloudApi(server, 'update', { printerid: printer.printerId, default_display_name: 'x' }, { token: friend.token })).status, 403);
      assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, scope: stranger.email }, { token: friend.token })).status, 403);
      assert.equal((await cloudApi(server, 'control', { jobid: job.job.id, status: 'DONE' }, { token: friend.token })).status, 404, 'not their job');
      const cancel = await cloudApi(server, 'control', { jobid: friendJob.body.job.id, semantic_state_diff: diff({ state: { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } } }) }, { token: friend.token });
      assert.equal(cancel.body.success, true, 'a user may cancel their own job');
      const markDone = await submitJob(server, friend.token, printer.printerId);
      assert.equal((await cloudApi(server, 'control', { jobid: markDone.body.job.id, status: 'DONE' }, { token: friend.token })).status, 403);

      const manager = await cloudApi(server, 'share', { printerid: printer.printerId, scope: friend.email, role: 'MANAGER' }, { token: owner.token });
      assert.equal(manager.body.success, true);
      const allJobs = await cloudApi(server, 'jobs', { printerid: printer.printerId }, { token: friend.token });
      assert.ok(allJobs.body.jobs.some((j: { title: string }) => j.title === 'owner secret'), 'a MANAGER sees every job of the printer');
      assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, scope: stranger.email, role: 'OWNER' }, { token: friend.token })).status, 403, 'a MANAGER cannot make owners');
      assert.equal((await cloudApi(server, 'delete', { printerid: printer.printerId }, { token: friend.token })).status, 403);
      assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, scope: stranger.email, role: 'OWNER' }, { token: owner.token })).body.success, true);
      assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, scope: stranger.email, role: 'USER' }, { token: friend.token })).status, 403, 'a MANAGER cannot demote an owner either');
      assert.equal((await cloudApi(server, 'unshare', { printerid: printer.printerId, scope: stranger.email }, { token: owner.token })).body.success, true);

      const unshared = await cloudApi(server, 'unshare', { printerid: printer.printerId, scope: friend.email }, { token: owner.token });
      assert.equal(unshared.body.success, true);
      assert.equal((await submitJob(server, friend.token, printer.printerId)).status, 404);
      assert.equal((await cloudApi(server, 'ticket', { jobid: friendJob.body.job.id }, { token: friend.token })).status, 200, 'own jobs stay visible after the unshare');
      assert.equal((await cloudApi(server, 'ticket', { jobid: job.job.id }, { token: friend.token })).status, 404, 'others\' jobs do not');

      assert.equal((await cloudApi(server, 'share', { printerid: printer.printerId, public: 'true' }, { token: owner.token })).body.success, true);
      assert.equal((await submitJob(server, stranger.token, printer.printerId)).status, 200, 'public printers take anyone\'s jobs');
      const robot = await registerAndClaim(server, stranger, { name: 'Robot of a stranger' });
      assert.equal((await submitJob(server, robot.accessToken, printer.printerId)).status, 404, 'public means every signed-in user, not every robot');
      assert.ok(!(await cloudApi(server, 'list', {}, { token: robot.accessToken })).body.printers.some((p: { id: string }) => p.id === printer.printerId));
      assert.equal((await cloudApi(server, 'unshare', { printerid: printer.printerId, public: 'true' }, { token: owner.token })).body.success, true);
      assert.equal((await submitJob(server, stranger.token, printer.printerId)).status, 404);
    });

    test('proximity tokens let one user print to one printer, briefly', async () => {
      const { body } = await cloudApi(server, 'proximitytoken', { printerid: printer.printerId, user: stranger.email }, { token: printer.accessToken });
      assert.equal(body.success, true);
      assert.equal(body.proximity_token.user, stranger.email);
      assert.equal(body.proximity_token.expires_in, 600);
      const token = body.proximity_token.token as string;
      const printed = await submitJob(server, token, printer.printerId, { title: 'walk-up' });
      assert.equal(printed.status, 200);
      assert.equal(printed.body.job.ownerId, stranger.email);
      const other = await registerAndClaim(server, owner, { name: 'Other' });
      assert.equal((await submitJob(server, token, other.printerId)).status, 404, 'only that printer');
      assert.equal((await cloudApi(server, 'proximitytoken', { printerid: printer.printerId, user: stranger.email }, { token: stranger.token })).status, 404);
      assert.equal((await cloudApi(server, 'proximitytoken', { printerid: printer.printerId, user: 'nobody@example.com' }, { token: printer.accessToken })).status, 404);
    });

    test("a proximity token reaches only the jobs submitted with it, not its user's later cloud jobs", async () => {
      const bob = await createUser(server);
      await cloudApi(server, 'share', { printerid: printer.printerId, scope: bob.email, role: 'USER', skip_notification: 'true' }, { token: owner.token });
      const { body } = await cloudApi(server, 'proximitytoken', { printerid: printer.printerId, user: bob.email }, { token: printer.accessToken });
      const token = body.proximity_token.token as string;
      const walkUp = (await submitJob(server, token, printer.printerId, { title: 'walk-up', content: 'walk-up', contentType: 'text/plain' })).body.job;
      const cloud = (await submitJob(server, bob.token, printer.printerId, { title: 'through the cloud', content: 'secret', contentType: 'text/plain' })).body.job;
      const listed = await cloudApi(server, 'jobs', {}, { token });
      assert.deepEqual(listed.body.jobs.map((job: { id: string }) => job.id), [walkUp.id], 'the cloud job is not listed');
      const onPrinter = await cloudApi(server, 'jobs', { printerid: printer.printerId }, { token });
      assert.deepEqual(onPrinter.body.jobs.map((job: { id: string }) => job.id), [walkUp.id]);
      assert.equal((await cloudApi(server, 'download', { id: cloud.id }, { token, as: 'query' })).status, 404);
      assert.equal((await cloudApi(server, 'ticket', { jobid: cloud.id }, { token, as: 'query' })).status, 404);
      assert.equal((await cloudApi(server, 'deletejob', { jobid: cloud.id }, { token })).status, 404);
      const kept = await cloudApi(server, 'download', { id: cloud.id }, { token: bob.token, as: 'query' });
      assert.deepEqual([kept.status, kept.body], [200, 'secret'], 'the cloud job is still there for Bob');
      const own = await cloudApi(server, 'download', { id: walkUp.id }, { token, as: 'query' });
      assert.deepEqual([own.status, own.body], [200, 'walk-up']);
      assert.equal((await cloudApi(server, 'ticket', { jobid: walkUp.id }, { token, as: 'query' })).status, 200);
      assert.equal((await cloudApi(server, 'deletejob', { jobid: walkUp.id }, { token })).body.success, true);
      const { body: second } = await cloudApi(server, 'proximitytoken', { printerid: printer.printerId, user: bob.email }, { token: printer.accessToken });
      const another = await cloudApi(server, 'jobs', {}, { token: second.proximity_token.token as string });
      assert.deepEqual(another.body.jobs, [], 'another token for Bob reaches neither');
    });

    test('a reported local job is stored final, without a document', async () => {
      const state = { version: '1.0', state: { type: 'DONE' }, pages_printed: 3 };
      const { body } = await cloudApi(server, 'submit', { printerid: printer.printerId, title: 'local', contentType: 'application/pdf', final_semantic_state: diff(state), tag: 'local' }, { token: printer.accessToken, as: 'multipart' });
      assert.equal(body.success, true);
      assert.deepEqual(body.job.semanticState, state);
      assert.equal(body.job.fileUrl, '');
      const notFinal = await cloudApi(server, 'submit', { printerid: printer.printerId, title: 'local', contentType: 'application/pdf', final_semantic_state: diff({ state: { type: 'IN_PROGRESS' } }) }, { token: printer.accessToken });
      assert.equal(notFinal.status, 400);
    });

    test('jobs filters and paging', async () => {
      const user = await createUser(server);
      await cloudApi(server, 'share', { printerid: printer.printerId, scope: user.email }, { token: owner.token });
      for (const title of ['alpha one', 'beta two', 'alpha three']) await submitJob(server, user.token, printer.printerId, { title });
      const alpha = await cloudApi(server, 'jobs', { q: 'ALPHA' }, { token: user.token });
      assert.deepEqual(alpha.body.jobs.map((j: { title: string }) => j.title), ['alpha three', 'alpha one']);
      const page = await cloudApi(server, 'jobs', { limit: 2, offset: 1 }, { token: user.token });
      assert.deepEqual(page.body.jobs.map((j: { title: string }) => j.title), ['beta two', 'alpha one']);
      assert.deepEqual(page.body.range, { jobsTotal: 3, jobsCount: 2, offset: 1 });
      const byOwner = await cloudApi(server, 'jobs', { printerid: printer.printerId, owner: user.email, status: 'QUEUED' }, { token: owner.token });
      assert.equal(byOwner.body.jobs.length, 3);
      await submitJob(server, user.token, printer.printerId, { title: '100% sure' });
      const literal = await cloudApi(server, 'jobs', { q: '0%' }, { token: user.token });
      assert.deepEqual(literal.body.jobs.map((j: { title: string }) => j.title), ['100% sure'], '% in q is a literal, not a wildcard');
      const badLimit = await cloudApi(server, 'jobs', { limit: 'many' }, { token: user.token });
      assert.equal(badLimit.status, 400);
    });

    test('deletejob removes the job and its document', async () => {
      const { body } = await submitJob(server, owner.token, printer.printerId);
      const deleted = await cloudApi(server, 'deletejob', { jobid: body.job.id }, { token: owner.token });
      assert.equal(deleted.body.success, true);
      assert.equal((await fetch(body.job.fileUrl, { headers: { authorization: `Bearer ${owner.token}` } })).status, 404);
      assert.equal((await cloudApi(server, 'deletejob', { jobid: body.job.id }, { token: owner.token })).status, 404);
    });

    test('delete: the device is told, then /printer answers HTTP 200 with success=false (Privet §4.1.5)', async () => {
      const doomed = await registerAndClaim(server, owner, { name: 'Doomed' });
      await submitJob(server, owner.token, doomed.printerId);
      const events: unknown[] = [];
      const unsubscribe = server.context.bus.subscribe((event) => event.type === 'printer-changed' || events.push(event)); // the devices' notices, not the console's hints
      const deleted = await cloudApi(server, 'delete', { printerid: doomed.printerId }, { token: owner.token });
      unsubscribe();
      assert.equal(deleted.body.success, true);
      const robot = await server.context.accounts.findByJidLocal(doomed.jidLocal);
      // The device hears of the deletion first; then its robot's sessions end (docs/xmpp.md, "How long a session lives").
      assert.deepEqual(events, [
        { type: 'printer', kind: 'delete', printerId: doomed.printerId, recipients: [doomed.jidLocal] },
        { type: 'credentials-revoked', accountId: robot!.id },
      ]);
      const gone = await cloudApi(server, 'printer', { printerid: doomed.printerId }, { token: doomed.accessToken });
      assert.equal(gone.status, 200);
      assert.equal(gone.body.success, false);
      assert.equal(gone.body.printers, undefined);
      const refreshed = await oauthToken(server, { grant_type: 'refresh_token', refresh_token: doomed.refreshToken });
      assert.equal(refreshed.body.error, 'invalid_grant', 'a robot without a printer gets no new tokens');
    });

    test('a printer deleted while a job is being sent to it: PRINTER_NOT_FOUND, and the document is not kept', async () => {
      const doomed = await registerAndClaim(server, owner, { name: 'Deleted mid-upload' });
      const documentsDir = join(server.dataDir, 'documents');
      const documentsBefore = readdirSync(documentsDir).filter((name) => !name.startsWith('.')).sort();
      const boundary = 'midupload';
      const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      const head = field('printerid', doomed.printerId) + field('title', 'cut short') + field('contentType', 'application/pdf') +
        `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
      const url = new URL(`${server.url}/cloudprint/submit`);
      const request = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { authorization: `Bearer ${owner.token}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
      const replied = new Promise<{ status: number; body: { errorCode: number } }>((resolve, reject) => {
        request.on('response', async (response) => {
          let text = '';
          for await (const chunk of response) text += chunk;
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) });
        });
        request.on('error', reject);
      });
      request.write(head + '%PDF-1.4 '.padEnd(64 * 1024, 'x'));
      await new Promise((resolve) => setTimeout(resolve, 200)); // the printer is checked when the document starts
      assert.equal((await cloudApi(server, 'delete', { printerid: doomed.printerId }, { token: owner.token })).body.success, true);
      request.end(`${'y'.repeat(1024)}\r\n--${boundary}--\r\n`);
      const { status, body } = await replied;
      assert.deepEqual([status, body.errorCode], [404, 14]);
      assert.deepEqual(readdirSync(documentsDir).filter((name) => !name.startsWith('.')).sort(), documentsBefore);
    });

    test('createrobot: a robot registers printers for its user', async () => {
      const { body } = await cloudApi(server, 'createrobot', { oauth_client_id: 'connector' }, { token: owner.token, as: 'query' });
      assert.equal(body.success, true);
      assert.match(body.xmpp_jid, /@localhost$/);
      const grant = await oauthToken(server, { grant_type: 'authorization_code', code: body.authorization_code, client_id: 'connector' });
      const { access_token, refresh_token } = grant.body as { access_token: string; refresh_token: string };
      const registered = await cloudApi(server, 'register', { name: 'cups-queue', proxy: 'proxy-1', capabilities: JSON.stringify(SAMPLE_CDD), semantic_state: diff({ version: '', printer: { state: 'IDLE' } }) }, { token: access_token });
      assert.equal(registered.body.success, true);
      assert.equal(registered.body.registration_token, undefined);
      assert.equal(registered.body.printers[0].ownerId, owner.email);
      const listed = await cloudApi(server, 'list', { proxy: 'proxy-1', extra_fields: '-tags' }, { token: access_token });
      assert.deepEqual(listed.body.printers.map((p: { name: string }) => p.name), ['cups-queue']);
      assert.equal(listed.body.printers[0].tags, undefined);
      assert.equal((await cloudApi(server, 'list', { proxy: 'other' }, { token: access_token })).body.printers.length, 0);
      assert.equal((await cloudApi(server, 'delete', { printerid: registered.body.printers[0].id }, { token: owner.token })).body.success, true);
      const refreshed = await oauthToken(server, { grant_type: 'refresh_token', refresh_token });
      assert.equal(refreshed.status, 200, 'a connector keeps its credentials when its last printer goes');
    });
  });
}
