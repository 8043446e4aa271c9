// The life of a job the cloud converts [GCP §a `submit`, `fileUrl`
// forcepwg, §d states and service_action_cause], against a real server and
// printers registered over HTTP: IN_PROGRESS and out of `fetch` while
// converting, QUEUED with the converted document, ABORTED with the cause
// when it cannot be converted, PWG raster for a raster-only printer and on
// forcepwg=1, tools bounded in time and output, and conversions that
// survive a restart.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { ServerConfig } from '../../../src/config.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, submitJob, type ClaimedPrinter, type TestUser } from '../../helpers/cloud.ts';
import { waitFor } from '../../helpers/wait.ts';
import { createTestDatabase } from '../../helpers/postgres.ts';
import { makePdf } from '../../privet/helpers.ts';
import { samples } from './samples.ts';

const A4 = { name: 'ISO_A4', width_microns: 210000, height_microns: 297000, is_default: true };
const PDF_PRINTER = {
  version: '1.0',
  printer: { supported_content_type: [{ content_type: 'application/pdf' }], media_size: { option: [A4] }, copies: { default: 1, max: 9 } },
};
const RASTER_PRINTER = {
  version: '1.0',
  printer: {
    supported_content_type: [{ content_type: 'image/pwg-raster' }],
    pwg_raster_config: { document_resolution_supported: [{ cross_feed_dir: 100, feed_dir: 100 }, { cross_feed_dir: 150, feed_dir: 150 }], document_type_supported: ['SGRAY_8', 'SRGB_8'] },
    color: { option: [{ type: 'STANDARD_COLOR', is_default: true }, { type: 'STANDARD_MONOCHROME' }] },
    dpi: { option: [{ horizontal_dpi: 100, vertical_dpi: 100, is_default: true }, { horizontal_dpi: 150, vertical_dpi: 150 }] },
    media_size: { option: [A4] },
  },
};
/** PostScript that never ends: Ghostscript loops until it is killed. */
const RUNAWAY = '%!PS\n{ 1 pop } loop\n';

const servers: TestServer[] = [];
after(async () => {
  for (const server of servers) await server.stop();
});

interface Setup {
  server: TestServer;
  owner: TestUser;
  printer: ClaimedPrinter;
}

async function setup(cdd: object, config: Partial<ServerConfig> = {}): Promise<Setup> {
  const server = await startTestServer(config);
  servers.push(server);
  const owner = await createUser(server);
  const printer = await registerAndClaim(server, owner, { capabilities: cdd });
  return { server, owner, printer };
}

async function submit({ server, owner, printer }: Setup, content: string | Buffer, contentType: string, ticket?: object): Promise<string> {
  const reply = await submitJob(server, owner.token, printer.printerId, { content: typeof content === 'string' ? content : new Uint8Array(content), contentType, ticket });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return String(reply.body.job.id);
}

async function job({ server, owner }: Setup, id: string): Promise<Record<string, any>> {
  const jobs = (await cloudApi(server, 'jobs', {}, { token: owner.token })).body.jobs as Array<Record<string, any>>;
  return jobs.find((j) => j.id === id)!;
}

async function jobLeaves(setup: Setup, id: string, state: string, timeoutMs = 30_000): Promise<Record<string, any>> {
  return waitFor(`job ${id} out of ${state}`, async () => {
    const found = await job(setup, id);
    return found.semanticState.state.type === state ? undefined : found;
  }, timeoutMs);
}

async function fetchIds({ server, printer }: Setup): Promise<string[]> {
  const reply = await cloudApi(server, 'fetch', { printerid: printer.printerId }, { token: printer.accessToken });
  return ((reply.body.jobs ?? []) as Array<{ id: string }>).map((j) => j.id);
}

async function download({ server, printer }: Setup, id: string, query = ''): Promise<{ status: number; type: string | null; body: Buffer }> {
  const response = await fetch(`${server.url}/cloudprint/download?id=${id}${query}`, { headers: { authorization: `Bearer ${printer.accessToken}` } });
  return { status: response.status, type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
}

/** Tool processes still running on files of `dataDir` (none may outlive a killed conversion). */
function toolsRunningIn(dataDir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes(dataDir));
}

/** A PWG raster page header (PWG 5102.4 §4.3): resolution and colour space of the first page. */
function pwgHeader(raster: Buffer): { dpi: number[]; colorSpace: number } {
  const header = raster.subarray(4);
  return { dpi: [header.readUInt32BE(276), header.readUInt32BE(280)], colorSpace: header.readUInt32BE(400) };
}

test('a document the printer cannot take is IN_PROGRESS and out of fetch while it waits for its conversion, then QUEUED with the PDF', async () => {
  const s = await setup(PDF_PRINTER, { conversionWorkers: 1, conversionTimeoutSeconds: 3 });
  // The one worker is busy with a conversion that runs until it is killed.
  const blocker = await submit(s, RUNAWAY, 'application/postscript');
  const png = await submit(s, samples().png!.content, 'image/png');
  const waiting = await job(s, png);
  assert.equal(waiting.semanticState.state.type, 'IN_PROGRESS');
  assert.equal(waiting.contentType, 'image/png');
  assert.deepEqual(await fetchIds(s), []);
  const converted = await jobLeaves(s, png, 'IN_PROGRESS');
  assert.equal(converted.semanticState.state.type, 'QUEUED');
  assert.equal(converted.contentType, 'application/pdf');
  assert.deepEqual(await fetchIds(s), [png]);
  const document = await download(s, png);
  assert.equal(document.status, 200);
  assert.equal(document.type, 'application/pdf');
  assert.match(document.body.subarray(0, 8).toString('latin1'), /^%PDF-1\.\d/);
  assert.equal((await job(s, blocker)).semanticState.state.type, 'ABORTED');
});

test('a corrupt file ends ABORTED with service_action_cause CONVERSION_ERROR and never reaches the printer', async () => {
  const s = await setup(PDF_PRINTER);
  const id = await submit(s, Buffer.concat([samples().png!.content.subarray(0, 40), Buffer.from('garbage, not a PNG')]), 'image/png');
  const ended = await jobLeaves(s, id, 'IN_PROGRESS');
  assert.deepEqual(ended.semanticState.state, { type: 'ABORTED', service_action_cause: { error_code: 'CONVERSION_ERROR' } });
  assert.deepEqual(await fetchIds(s), []);
});

test('a type the cloud cannot convert is still refused at submit with 415', async () => {
  const s = await setup(PDF_PRINTER);
  const reply = await submitJob(s.server, s.owner.token, s.printer.printerId, { content: 'x', contentType: 'application/x-unknown' });
  assert.equal(reply.status, 415);
  assert.match(reply.body.message, /does not accept application\/x-unknown/);
});

test('the timeout kills a runaway tool, with everything it started, and aborts its job with CONVERSION_ERROR', async () => {
  const s = await setup(PDF_PRINTER, { conversionTimeoutSeconds: 1 });
  const started = Date.now();
  const id = await submit(s, RUNAWAY, 'application/postscript');
  await waitFor('Ghostscript running', () => toolsRunningIn(s.server.dataDir).length > 0, 10_000, 20);
  const ended = await jobLeaves(s, id, 'IN_PROGRESS', 15_000);
  assert.deepEqual(ended.semanticState.state, { type: 'ABORTED', service_action_cause: { error_code: 'CONVERSION_ERROR' } });
  assert.ok(Date.now() - started < 10_000, `aborted after ${Date.now() - started} ms`);
  assert.deepEqual(toolsRunningIn(s.server.dataDir), []);
});

test('a conversion writing more than conversion-max-output ends ABORTED with CONVERSION_FILE_TOO_BIG', async () => {
  const s = await setup(PDF_PRINTER, { conversionMaxOutput: 4096 });
  const text = Array.from({ length: 400 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog ${i * 7919}`).join('\n');
  const id = await submit(s, text, 'text/plain');
  const ended = await jobLeaves(s, id, 'IN_PROGRESS');
  assert.deepEqual(ended.semanticState.state, { type: 'ABORTED', service_action_cause: { error_code: 'CONVERSION_FILE_TOO_BIG' } });
});

test('a raster-only printer gets PWG raster at the ticket\'s resolution and colour', async () => {
  const s = await setup(RASTER_PRINTER);
  const ticket = { version: '1.0', print: { dpi: { horizontal_dpi: 150, vertical_dpi: 150 }, color: { type: 'STANDARD_MONOCHROME' } } };
  const id = await submit(s, samples().jpeg!.content, 'image/jpeg', ticket);
  const converted = await jobLeaves(s, id, 'IN_PROGRESS');
  assert.equal(converted.semanticState.state.type, 'QUEUED');
  assert.equal(converted.contentType, 'image/pwg-raster');
  const raster = await download(s, id);
  assert.equal(raster.type, 'image/pwg-raster');
  assert.equal(raster.body.subarray(0, 4).toString('latin1'), 'RaS2');
  // 18 = sGray (PWG 5102.4 cupsColorSpace), at 150 dpi.
  assert.deepEqual(pwgHeader(raster.body), { dpi: [150, 150], colorSpace: 18 });
  // A PDF too, for a printer that takes only raster; no ticket: the CDD's defaults (100 dpi, colour).
  const pdf = await submit(s, makePdf(1), 'application/pdf');
  const fromPdf = await download(s, (await jobLeaves(s, pdf, 'IN_PROGRESS')).id);
  assert.deepEqual(pwgHeader(fromPdf.body), { dpi: [100, 100], colorSpace: 19 });
});

test('download?forcepwg=1 serves PWG raster of a PDF job; without it the PDF', async () => {
  const s = await setup(PDF_PRINTER);
  const id = await submit(s, makePdf(1), 'application/pdf');
  assert.equal((await job(s, id)).semanticState.state.type, 'QUEUED');
  const raster = await download(s, id, '&forcepwg=1');
  assert.equal(raster.status, 200);
  assert.equal(raster.type, 'image/pwg-raster');
  assert.equal(raster.body.subarray(0, 4).toString('latin1'), 'RaS2');
  const pdf = await download(s, id);
  assert.equal(pdf.type, 'application/pdf');
  assert.match(pdf.body.subarray(0, 8).toString('latin1'), /^%PDF-1\.4/);
});

test('conversions survive a restart: a job left converting or waiting to is converted at the next start', async () => {
  const first = await setup(PDF_PRINTER, { conversionWorkers: 1, conversionTimeoutSeconds: 120 });
  const runaway = await submit(first, RUNAWAY, 'application/postscript');
  const png = await submit(first, samples().png!.content, 'image/png');
  await waitFor('Ghostscript running', () => toolsRunningIn(first.server.dataDir).length > 0, 10_000, 20);
  const stopping = Date.now();
  await first.server.stop({ keepData: true });
  servers.splice(servers.indexOf(first.server), 1);
  assert.ok(Date.now() - stopping < 10_000, 'the stop killed the running tool instead of waiting for it');
  assert.deepEqual(toolsRunningIn(first.server.dataDir), []);

  const server = await startTestServer({ dataDir: first.server.dataDir, conversionTimeoutSeconds: 4 });
  servers.push(server);
  const again = { ...first, server };
  const converted = await jobLeaves(again, png, 'IN_PROGRESS');
  assert.equal(converted.semanticState.state.type, 'QUEUED');
  assert.equal(converted.contentType, 'application/pdf');
  const ended = await jobLeaves(again, runaway, 'IN_PROGRESS');
  assert.deepEqual(ended.semanticState.state, { type: 'ABORTED', service_action_cause: { error_code: 'CONVERSION_ERROR' } });
});

test('a job cancelled while it waits for its conversion stays cancelled and never reaches the printer', async () => {
  const s = await setup(PDF_PRINTER, { conversionWorkers: 1, conversionTimeoutSeconds: 2 });
  const blocker = await submit(s, RUNAWAY, 'application/postscript');
  const png = await submit(s, samples().png!.content, 'image/png');
  const cancelled = { state: { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } } };
  const reply = await cloudApi(s.server, 'control', { jobid: png, semantic_state_diff: JSON.stringify(cancelled) }, { token: s.owner.token });
  assert.equal(reply.body.success, true, JSON.stringify(reply.body));
  await jobLeaves(s, blocker, 'IN_PROGRESS');
  // One worker, in order: once a later job is converted, the cancelled one's conversion has run.
  const later = await submit(s, samples().png!.content, 'image/png');
  assert.equal((await jobLeaves(s, later, 'IN_PROGRESS')).semanticState.state.type, 'QUEUED');
  assert.deepEqual((await job(s, png)).semanticState.state, cancelled.state);
  assert.deepEqual(await fetchIds(s), [later]);
});

test('on PostgreSQL too: a job is converted, a bad file aborted, and a job left converting resumed at the next start', async () => {
  const database = await createTestDatabase();
  try {
    const s = await setup(PDF_PRINTER, { database: database.url, conversionWorkers: 1 });
    const png = await submit(s, samples().png!.content, 'image/png');
    assert.equal((await jobLeaves(s, png, 'IN_PROGRESS')).contentType, 'application/pdf');
    const bad = await submit(s, 'not a GIF', 'image/gif');
    assert.deepEqual((await jobLeaves(s, bad, 'IN_PROGRESS')).semanticState.state, { type: 'ABORTED', service_action_cause: { error_code: 'CONVERSION_ERROR' } });
    const runaway = await submit(s, RUNAWAY, 'application/postscript');
    const waiting = await submit(s, samples().gif!.content, 'image/gif');
    await s.server.stop({ keepData: true });
    servers.splice(servers.indexOf(s.server), 1);
    const server = await startTestServer({ dataDir: s.server.dataDir, database: database.url, conversionTimeoutSeconds: 4 });
    servers.push(server);
    const again = { ...s, server };
    assert.equal((await jobLeaves(again, waiting, 'IN_PROGRESS')).semanticState.state.type, 'QUEUED');
    assert.equal((await jobLeaves(again, runaway, 'IN_PROGRESS')).semanticState.state.type, 'ABORTED');
    assert.deepEqual(await fetchIds(again), [png, waiting]);
    await server.stop();
    servers.splice(servers.indexOf(server), 1);
  } finally {
    await database.drop();
  }
});
