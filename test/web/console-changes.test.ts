// The console hears every change of a printer where the cloud service makes
// it, not only those of /cloudprint requests: a job printed and cancelled
// through IPP, a conversion that ends (converted or aborted), the device's
// push channel opening and closing; and the job calls of its device.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, ipp } from '../../src/ipp/codec.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, submitJob, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';
import { ippCall, Op, values } from '../ipp/client.ts';
import { readEvents } from './console-events-client.ts';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');
/** A 2×1 GIF89a (as in test/cloud/conversion/samples.ts), and a PNG that is only its signature. */
const GIF = Buffer.from('474946383961020001008000000000ffff0000002c00000000020001000002024c0a003b', 'hex');
const CORRUPT_PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('garbage, not a PNG')]);
const PDF_ONLY = {
  version: '1.0',
  printer: { supported_content_type: [{ content_type: 'application/pdf' }], media_size: { option: [{ name: 'ISO_A4', width_microns: 210000, height_microns: 297000, is_default: true }] } },
};

let server: TestServer;
let owner: TestUser;
before(async () => {
  server = await startTestServer({ consoleHeartbeatSeconds: 0.5 });
  owner = await createUser(server);
});
after(() => server.stop());

const changes = (events: string[]) => events.filter((e) => e.includes('event: change')).map((e) => JSON.parse(/^data: (.*)$/m.exec(e)![1]!) as { printerId: string; what: string });

/** The changes the owner's console hears while `act` runs, once it heard `count` of them. */
async function heard(count: number, act: () => Promise<void>, timeoutMs = 10_000) {
  return changes(await readEvents(server, owner.token, (events) => changes(events).length >= count, act, timeoutMs));
}

test('a job printed and cancelled through IPP reaches the console', { timeout: 30_000 }, async () => {
  const printer = await registerAndClaim(server, owner);
  const call = (operation: number, attributes: Parameters<typeof ippCall>[0]['attributes'], document?: Buffer) =>
    ippCall({ url: `${server.url}/ipp/print/${printer.printerId}`, operation, auth: { username: owner.email, password: owner.password }, attributes, document });
  const told = await heard(2, async () => {
    const printed = await call(Op.printJob, [attr('job-name', ipp.name('from ipp')), attr('document-format', ipp.mime('application/pdf'))], PDF);
    assert.equal(printed.status, 0);
    const cancelled = await call(Op.cancelJob, [attr('job-id', ipp.int(Number(values(printed.jobs[0]!, 'job-id')[0])))]);
    assert.equal(cancelled.status, 0);
  });
  assert.deepEqual(told, [{ printerId: printer.printerId, what: 'jobs' }, { printerId: printer.printerId, what: 'jobs' }]);
});

test('a conversion that ends, converted or aborted, reaches the console', { timeout: 60_000 }, async () => {
  const printer = await registerAndClaim(server, owner, { capabilities: PDF_ONLY });
  const ids: string[] = [];
  // Each submit, then each conversion's end: four changes.
  const told = await heard(4, async () => {
    for (const [content, contentType] of [[GIF, 'image/gif'], [CORRUPT_PNG, 'image/png']] as const) {
      const reply = await submitJob(server, owner.token, printer.printerId, { content: new Uint8Array(content), contentType });
      assert.equal(reply.body.success, true, JSON.stringify(reply.body));
      ids.push(String(reply.body.job.id));
    }
  }, 45_000);
  assert.deepEqual(told, Array(4).fill({ printerId: printer.printerId, what: 'jobs' }));
  // The GIF is QUEUED where img2pdf is installed, ABORTED where it is not; the corrupt PNG ABORTED either way.
  const jobs = (await cloudApi(server, 'jobs', { printerid: printer.printerId }, { token: owner.token })).body.jobs as Array<Record<string, any>>;
  const [gif, png] = ids.map((id) => jobs.find((job) => job.id === id)!.semanticState.state);
  assert.match(gif.type, /^(QUEUED|ABORTED)$/);
  assert.deepEqual(png, { type: 'ABORTED', service_action_cause: { error_code: 'CONVERSION_ERROR' } });
});

test('control and deletejob by the device reach the console', { timeout: 30_000 }, async () => {
  const printer: ClaimedPrinter = await registerAndClaim(server, owner);
  const jobId = String((await submitJob(server, owner.token, printer.printerId)).body.job.id);
  const told = await heard(2, async () => {
    const device = { token: printer.accessToken };
    assert.equal((await cloudApi(server, 'control', { jobid: jobId, semantic_state_diff: JSON.stringify({ state: { type: 'IN_PROGRESS' } }) }, device)).body.success, true);
    assert.equal((await cloudApi(server, 'deletejob', { jobid: jobId }, device)).body.success, true);
  });
  assert.deepEqual(told, [{ printerId: printer.printerId, what: 'jobs' }, { printerId: printer.printerId, what: 'jobs' }]);
});

test('the device\'s push channel opening and closing reaches the console; an older session closing does not', { timeout: 30_000 }, async () => {
  const printer = await registerAndClaim(server, owner);
  const directory = server.context.pushDirectory;
  const told = await heard(3, async () => {
    await directory.channelOpened(printer.jidLocal, 2_000);
    // A session opened before the current one closes: the printer stays ONLINE.
    await directory.channelClosed(printer.jidLocal, 1_000, 3_000);
    // A marker: anything told for the older session would come before it.
    await cloudApi(server, 'share', { printerid: printer.printerId, scope: 'someone@example.com' }, { token: owner.token });
    await directory.channelClosed(printer.jidLocal, 2_000, 4_000);
  });
  assert.deepEqual(told, [
    { printerId: printer.printerId, what: 'printer' },
    { printerId: printer.printerId, what: 'sharing' },
    { printerId: printer.printerId, what: 'printer' },
  ]);
});
