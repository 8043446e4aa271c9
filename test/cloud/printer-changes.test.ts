// Every operation of the cloud service that changes a printer, its jobs or
// its shares tells the printer's watchers (a printer-changed hint on the bus,
// printerChanged in src/cloud/service.ts) once it is done, with the printer
// it already knows: the handlers called alone on a real store (SQLite and
// PostgreSQL), no HTTP, so nothing outside the service publishes for them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller } from '../../src/cloud/access.ts';
import { sweepJobs } from '../../src/cloud/jobs.ts';
import { getPrinter, type PrinterRow } from '../../src/cloud/printers.ts';
import { claimPrinter } from '../../src/cloud/registration.ts';
import { controlJob, deleteOneJob, submitJob } from '../../src/cloud/routes/jobs.ts';
import { registerPrinter, updatePrinterFields } from '../../src/cloud/routes/printers.ts';
import { sharePrinter, unsharePrinter } from '../../src/cloud/routes/sharing.ts';
import type { CloudService } from '../../src/cloud/service.ts';
import type { BusEvent, PrinterChangedNotification } from '../../src/events/bus.ts';
import { WindowLimiter } from '../../src/limits/window-limiter.ts';
import type { Db } from '../../src/store/db.ts';
import { describeEachDialect } from '../helpers/dialects.ts';
import { cloudOn, newRobot, newUser, paramsOf, type TestCloud } from '../helpers/cloud-service.ts';
import { registerParams } from '../helpers/cloud.ts';

const changes = (events: BusEvent[]) => events.filter((event): event is PrinterChangedNotification => event.type === 'printer-changed');

/** `db` counting every query run through it (prepared ones included: they run through Kysely on a store's other instances). */
function countingQueries(db: Db): { db: Db; count(): number } {
  let queries = 0;
  const counted = db.withPlugin({
    transformQuery: ({ node }) => node,
    transformResult: async ({ result }) => {
      queries++;
      return result;
    },
  });
  return { db: counted, count: () => queries };
}

describeEachDialect('printer changes told to watchers', (store) => {
  let cloud: TestCloud;
  let device: Caller;
  let owner: Caller;
  let printer: PrinterRow;

  const call = (caller: Caller | undefined, params: Record<string, string>, service: CloudService = cloud.service) => ({ service, params: paramsOf(params), caller: caller!, address: '127.0.0.1' });
  const register = async (caller: Caller | undefined) =>
    (await registerPrinter(call(caller, registerParams() as Record<string, string>), new WindowLimiter(10))) as { printers: Array<{ id: string }>; registration_token?: string };
  const submit = async (caller: Caller, printerId = printer.id) =>
    ((await submitJob({ ...call(caller, { printerid: printerId, title: 'job', contentType: 'text/plain', content: 'hello' }), document: undefined, documentType: undefined, prepared: undefined })) as { job: { id: string } }).job.id;

  before(async () => {
    cloud = cloudOn(store.current);
    device = await newRobot(cloud.service);
    owner = await newUser(cloud.service);
    printer = await getPrinter(cloud.service.db, (await register(device)).printers[0]!.id);
  });
  after(() => cloud.close());

  test('register tells of an owned printer; one waiting to be claimed is nobody\'s until its claim tells', async () => {
    cloud.published.length = 0;
    const owned = (await register(owner)).printers[0]!.id;
    assert.deepEqual(changes(cloud.published), [{ type: 'printer-changed', printerId: owned, what: 'printer' }]);

    cloud.published.length = 0;
    const waiting = await register(undefined);
    assert.deepEqual(changes(cloud.published), []);
    await claimPrinter(cloud.service, waiting.registration_token!, owner.account);
    assert.deepEqual(changes(cloud.published), [{ type: 'printer-changed', printerId: waiting.printers[0]!.id, what: 'printer' }]);
  });

  test('update (a device\'s state report, or anyone\'s edit) tells of the printer', async () => {
    cloud.published.length = 0;
    await updatePrinterFields(call(device, { printerid: printer.id, semantic_state: JSON.stringify({ version: '1.0', printer: { state: 'STOPPED' } }) }));
    await updatePrinterFields(call(device, { printerid: printer.id, default_display_name: 'Renamed' }));
    assert.deepEqual(changes(cloud.published), [
      { type: 'printer-changed', printerId: printer.id, what: 'printer' },
      { type: 'printer-changed', printerId: printer.id, what: 'printer' },
    ]);
  });

  test('share and unshare tell of the printer\'s sharing', async () => {
    cloud.published.length = 0;
    await sharePrinter(call(device, { printerid: printer.id, scope: owner.account.email! }));
    await unsharePrinter(call(device, { printerid: printer.id, scope: owner.account.email! }));
    assert.deepEqual(changes(cloud.published), [
      { type: 'printer-changed', printerId: printer.id, what: 'sharing' },
      { type: 'printer-changed', printerId: printer.id, what: 'sharing' },
    ]);
  });

  test('control and deletejob tell of the job\'s printer with no query beyond reading and changing the job', async () => {
    const jobId = await submit(device);
    const counting = countingQueries(cloud.service.db);
    const service = { ...cloud.service, db: counting.db };
    cloud.published.length = 0;
    await controlJob(call(device, { jobid: jobId, semantic_state_diff: JSON.stringify({ state: { type: 'IN_PROGRESS' } }) }, service));
    assert.equal(counting.count(), 2, 'control reads the job and updates it');
    assert.deepEqual(changes(cloud.published), [{ type: 'printer-changed', printerId: printer.id, what: 'jobs' }]);

    cloud.published.length = 0;
    await deleteOneJob(call(device, { jobid: jobId }, service));
    assert.equal(counting.count(), 4, 'deletejob reads the job and deletes it');
    assert.deepEqual(changes(cloud.published), [{ type: 'printer-changed', printerId: printer.id, what: 'jobs' }]);
  });

  test('a refused control tells nobody', async () => {
    const jobId = await submit(device);
    await controlJob(call(device, { jobid: jobId, semantic_state_diff: JSON.stringify({ state: { type: 'DONE' } }) }));
    cloud.published.length = 0;
    await assert.rejects(controlJob(call(device, { jobid: jobId, semantic_state_diff: JSON.stringify({ state: { type: 'IN_PROGRESS' } }) })));
    assert.deepEqual(changes(cloud.published), []);
  });

  test('the retention sweep tells each printer whose jobs it aborted or deleted, once', async () => {
    const other = await getPrinter(cloud.service.db, (await register(device)).printers[0]!.id);
    const finished = await submit(device);
    await controlJob(call(device, { jobid: finished, semantic_state_diff: JSON.stringify({ state: { type: 'DONE' } }) }));
    await submit(device);
    await submit(device, other.id);
    cloud.published.length = 0;
    await sweepJobs(cloud.service, Date.now() + cloud.service.config.jobRetentionSeconds * 1000 + 1000);
    const told = changes(cloud.published);
    assert.deepEqual(new Set(told.map((change) => change.printerId)), new Set([printer.id, other.id]));
    assert.equal(told.length, 2);
    assert.ok(told.every((change) => change.what === 'jobs'));
    cloud.published.length = 0;
    await sweepJobs(cloud.service, Date.now());
    assert.deepEqual(changes(cloud.published), [], 'a sweep that changes nothing tells nobody');
  });
});
