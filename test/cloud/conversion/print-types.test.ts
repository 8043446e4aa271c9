// Issue 16 item 9 [GCP §a `submit`, §d, §f]: every document type Google's
// service accepted prints to the virtual Privet printer through /submit with
// a ticket: the cloud converts it to PDF off the request path, the job is
// IN_PROGRESS meanwhile and QUEUED once converted, and the printer prints it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { cloudApi, createUser, submitJob, type TestUser } from '../../helpers/cloud.ts';
import { cloudArgs, registerThroughPrivet, startPrinter, waitFor, type TestPrinter } from '../../privet/helpers.ts';
import { mediaBoxes, samples } from './samples.ts';

let server: TestServer;
let printer: TestPrinter;
let owner: TestUser;
let printerId: string;

before(async () => {
  server = await startTestServer();
  owner = await createUser(server);
  printer = await startPrinter({ cloud: server.url, args: ['--no-mdns', '--auto-confirm', ...cloudArgs(server)] });
  printerId = await registerThroughPrivet(printer, server.url, owner);
});
after(async () => {
  await printer?.stop();
  printer?.cleanup();
  await server?.stop();
});

function sidecarFor(serverJobId: string): Record<string, any> | undefined {
  for (const file of readdirSync(printer.outputDir).filter((f) => f.endsWith('.json'))) {
    const sidecar = JSON.parse(readFileSync(join(printer.outputDir, file), 'utf8'));
    if (sidecar.server_job_id === serverJobId && ['DONE', 'ABORTED'].includes(sidecar.state.type)) return sidecar;
  }
  return undefined;
}

async function cloudJob(id: string): Promise<Record<string, any>> {
  const jobs = (await cloudApi(server, 'jobs', { printerid: printerId }, { token: owner.token })).body.jobs as Array<Record<string, any>>;
  return jobs.find((j) => j.id === id)!;
}

const LANDSCAPE_A4 = { version: '1.0', print: { page_orientation: { type: 'LANDSCAPE' }, media_size: { width_microns: 210000, height_microns: 297000 }, color: { type: 'STANDARD_COLOR' }, dpi: { horizontal_dpi: 300, vertical_dpi: 300 } } };

for (const [name, sample] of Object.entries(samples()).filter(([name]) => !['pdf', 'postscript'].includes(name))) {
  test(`${name} (${sample.contentType}) is converted to PDF in the cloud, honouring the ticket, and printed`, async () => {
    const reply = await submitJob(server, owner.token, printerId, { title: name, content: new Uint8Array(sample.content), contentType: sample.contentType, ticket: LANDSCAPE_A4 });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.equal(reply.body.success, true);
    const id = String(reply.body.job.id);
    // Converting: IN_PROGRESS, not handed to the printer yet.
    assert.equal(reply.body.job.semanticState.state.type, 'IN_PROGRESS');
    const sidecar = await waitFor(`${name} printed`, () => sidecarFor(id), 60_000);
    assert.equal(sidecar.state.type, 'DONE', JSON.stringify(sidecar));
    assert.equal(sidecar.content_type, 'application/pdf');
    const pdf = readFileSync(sidecar.document);
    assert.match(pdf.subarray(0, 8).toString('latin1'), /^%PDF-1\.\d/);
    assert.equal(sidecar.pages_printed, 1);
    // The ticket's A4 landscape page (842 × 595 pt), laid out by the tool itself or brought to it by Ghostscript.
    const [box] = mediaBoxes(pdf).slice(-1);
    if (box) assert.deepEqual(box.map(Math.round), [0, 0, 842, 595], `${name}: page box ${box}`);
    const job = await waitFor('cloud DONE', async () => ((await cloudJob(id)).semanticState.state.type === 'DONE' ? cloudJob(id) : undefined), 20_000);
    assert.equal(job.contentType, 'application/pdf');
  });
}
