// IPP through the whole chain to a virtual Privet printer (`ocp printer`,
// registered to the server): a job's ticket reaches the printer's output,
// its IPP state follows the device to completed, and printer-state follows
// the printer's panel (paper out → stopped, media-empty-error, within 2 s)
// and its connection (offline-report once it is gone).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attr, ipp } from '../../src/ipp/codec.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createUser, type TestUser } from '../helpers/cloud.ts';
import { cloudArgs, makePdf, registerThroughPrivet, startPrinter, waitFor, type TestPrinter } from '../privet/helpers.ts';
import { ippCall, Op, values } from './client.ts';

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

const url = () => `${server.url}/ipp/print/${printerId}`;
const auth = () => ({ username: owner.email, password: owner.password });

async function printerStatus() {
  const reply = await ippCall({ url: url(), operation: Op.getPrinterAttributes, attributes: [attr('requested-attributes', ipp.keyword('printer-state'), ipp.keyword('printer-state-reasons'))] });
  return { state: values(reply.printer, 'printer-state')[0], reasons: values(reply.printer, 'printer-state-reasons') };
}

function sidecars(): Array<Record<string, any>> {
  return readdirSync(printer.outputDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(printer.outputDir, f), 'utf8')));
}

test('Print-Job with copies 2 and long-edge duplex prints at the device with that ticket and ends completed', async () => {
  assert.deepEqual(await printerStatus(), { state: 3, reasons: ['none'] });
  const reply = await ippCall({
    url: url(), operation: Op.printJob, auth: auth(),
    attributes: [attr('job-name', ipp.name('through the chain')), attr('document-format', ipp.mime('application/pdf'))],
    job: [attr('copies', ipp.int(2)), attr('sides', ipp.keyword('two-sided-long-edge'))],
    document: makePdf(2),
  });
  assert.equal(reply.status, 0);
  const jobId = Number(values(reply.jobs[0]!, 'job-id')[0]);
  const done = await waitFor('job completed', async () => {
    const job = await ippCall({ url: url(), operation: Op.getJobAttributes, auth: auth(), attributes: [attr('job-id', ipp.int(jobId))] });
    return values(job.jobs[0]!, 'job-state')[0] === 9 ? job : undefined;
  }, 20_000);
  assert.deepEqual(values(done.jobs[0]!, 'job-state-reasons'), ['job-completed-successfully']);
  const sidecar = await waitFor('output', () => sidecars().find((s) => s.job_name === 'through the chain'));
  assert.deepEqual(sidecar.ticket.print.copies, { copies: 2 });
  assert.deepEqual(sidecar.ticket.print.duplex, { type: 'LONG_EDGE' });
});

test('paper out on the panel: printer-state stopped with media-empty-error within 2 s, idle again when paper is loaded', async () => {
  await printer.panelPost('/panel/state', { paper: 'empty' });
  const started = Date.now();
  await waitFor('stopped', async () => {
    const status = await printerStatus();
    return status.state === 5 && status.reasons.includes('media-empty-error') ? status : undefined;
  }, 2000, 50);
  assert.ok(Date.now() - started <= 2000);
  await printer.panelPost('/panel/state', { paper: 'ok' });
  await waitFor('idle', async () => ((await printerStatus()).state === 3 ? true : undefined), 2000, 50);
});

test('a device that is gone: offline-report', async () => {
  await printer.stop();
  await waitFor('offline', async () => {
    const status = await printerStatus();
    return status.state === 5 && status.reasons.includes('offline-report') ? status : undefined;
  }, 10_000);
});
