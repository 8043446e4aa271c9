// The job handlers of routes/jobs.ts called alone, on a real store (SQLite
// and PostgreSQL) with no HTTP: submit, fetch, control, jobs [GCP §a, §d].
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Caller } from '../../../src/cloud/access.ts';
import { getPrinter, type PrinterRow } from '../../../src/cloud/printers.ts';
import { controlJob, fetchJobs, listJobs, submitJob } from '../../../src/cloud/routes/jobs.ts';
import { registerPrinter } from '../../../src/cloud/routes/printers.ts';
import { sharePrinter } from '../../../src/cloud/routes/sharing.ts';
import { WindowLimiter } from '../../../src/limits/window-limiter.ts';
import { describeEachDialect } from '../../helpers/dialects.ts';
import { cloudOn, newRobot, newUser, paramsOf, refusal, type TestCloud } from '../../helpers/cloud-service.ts';
import { registerParams, SAMPLE_CDD } from '../../helpers/cloud.ts';

type Job = Record<string, any>;

describeEachDialect('job handlers', (store) => {
  let cloud: TestCloud;
  let device: Caller;
  let user: Caller;
  let printer: PrinterRow;

  before(async () => {
    cloud = cloudOn(store.current);
    const { service } = cloud;
    device = await newRobot(service);
    user = await newUser(service);
    const params = paramsOf(registerParams() as Record<string, string>);
    const registered = (await registerPrinter({ service, params, caller: device, address: '127.0.0.1' }, new WindowLimiter(1))) as { printers: Job[] };
    printer = await getPrinter(service.db, registered.printers[0]!.id);
    await sharePrinter({ service, params: paramsOf({ printerid: printer.id, scope: user.account.email! }), caller: device, address: '127.0.0.1' });
  });
  after(() => cloud.close());

  const submit = (fields: Record<string, string>, extra: { prepared?: PrinterRow; document?: Awaited<ReturnType<TestCloud['service']['documents']['receive']>> } = {}) =>
    submitJob({ service: cloud.service, params: paramsOf({ printerid: printer.id, ...fields }), caller: user, address: '127.0.0.1', document: extra.document, documentType: undefined, prepared: extra.prepared });

  test('submit stores an inline document, queues the job and tells the printer\'s device and watchers', async () => {
    cloud.published.length = 0;
    const { job } = (await submit({ title: 'inline', contentType: 'text/plain', content: 'hello printer' })) as { job: Job };
    assert.equal(job.semanticState.state.type, 'QUEUED');
    assert.equal(job.contentSize, 13);
    assert.equal(readFileSync(join(cloud.service.documents.dir, job.id), 'utf8'), 'hello printer');
    assert.deepEqual(cloud.published, [
      { type: 'printer-changed', printerId: printer.id, what: 'jobs' },
      { type: 'printer', kind: 'jobs', printerId: printer.id, recipients: [printer.robot_jid_local] },
    ]);
  });

  test('submit takes the printer prepare found, and a job row that fails takes its document back out', async () => {
    const before = readdirSync(cloud.service.documents.dir).sort();
    const document = await cloud.service.documents.receive(Readable.from([Buffer.from('%PDF-1.4')]));
    // The printer was deleted between the check before the upload and the job row (GCP §a delete).
    const deleted = { ...printer, id: crypto.randomUUID() };
    await assert.rejects(submit({ title: 'late', contentType: 'application/pdf' }, { prepared: deleted, document }), refusal('PRINTER_NOT_FOUND'));
    assert.deepEqual(readdirSync(cloud.service.documents.dir).sort(), before);
    assert.deepEqual(readdirSync(join(cloud.service.documents.dir, '.incoming')), []);
  });

  test('submit refuses a content type the printer\'s CDD does not list and nothing converts, storing nothing', async () => {
    const before = readdirSync(cloud.service.documents.dir).sort();
    assert.ok(!JSON.stringify(SAMPLE_CDD).includes('application/x-unknown'));
    await assert.rejects(submit({ title: 'blob', contentType: 'application/x-unknown', content: 'blob' }), refusal('UNSUPPORTED_CONTENT_TYPE'));
    assert.deepEqual(readdirSync(cloud.service.documents.dir).sort(), before);
  });

  test('fetch gives the device the queued jobs oldest first, and NO_JOBS when there are none', async () => {
    const call = { service: cloud.service, params: paramsOf({ printerid: printer.id }), caller: device, address: '127.0.0.1' };
    const { jobs } = (await fetchJobs(call)) as { jobs: Job[] };
    assert.ok(jobs.length >= 1);
    assert.deepEqual(jobs.map((job) => Number(job.createTime)), jobs.map((job) => Number(job.createTime)).sort((a, b) => a - b));
    // A user the printer is shared with is not its owner.
    await assert.rejects(fetchJobs({ ...call, caller: user }), refusal('FORBIDDEN'));
    for (const job of jobs) {
      await controlJob({ ...call, params: paramsOf({ jobid: job.id, semantic_state_diff: JSON.stringify({ state: { type: 'DONE' } }) }) });
    }
    await assert.rejects(fetchJobs(call), refusal('NO_JOBS'));
  });

  test('control lets a job\'s owner who does not manage the printer only cancel it', async () => {
    const { job } = (await submit({ title: 'mine', contentType: 'text/plain', content: 'x' })) as { job: Job };
    const control = (diff: unknown) => controlJob({ service: cloud.service, params: paramsOf({ jobid: job.id, semantic_state_diff: JSON.stringify(diff) }), caller: user, address: '127.0.0.1' });
    await assert.rejects(control({ state: { type: 'DONE' } }), refusal('FORBIDDEN'));
    await control({ state: { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } } });
    const { jobs } = (await listJobs({ service: cloud.service, params: paramsOf({ q: 'mine' }), caller: user, address: '127.0.0.1' })) as { jobs: Job[] };
    assert.deepEqual(jobs.map((j) => [j.id, j.status]), [[job.id, 'ERROR']]);
  });

  test('jobs lists the caller\'s own jobs, and every job of a printer to its device', async () => {
    const other = await newUser(cloud.service);
    await sharePrinter({ service: cloud.service, params: paramsOf({ printerid: printer.id, scope: other.account.email! }), caller: device, address: '127.0.0.1' });
    await submitJob({ service: cloud.service, params: paramsOf({ printerid: printer.id, title: 'theirs', contentType: 'text/plain', content: 'y' }), caller: other, address: '127.0.0.1', document: undefined, documentType: undefined, prepared: undefined });
    const list = async (caller: Caller, params: Record<string, string>) => ((await listJobs({ service: cloud.service, params: paramsOf(params), caller, address: '127.0.0.1' })) as { jobs: Job[] }).jobs.map((job) => job.title);
    assert.deepEqual(await list(other, {}), ['theirs']);
    assert.ok(!(await list(user, { printerid: printer.id })).includes('theirs'));
    assert.ok((await list(device, { printerid: printer.id })).includes('theirs'));
  });
});
