// Issue 16 item 10: the virtual printer's CDD declares `dpi` and the output
// bins (output_bin_unit, chosen with the SELECT vendor capability
// `output_bin`), validates a ticket's choice against them (local createjob
// invalid_ticket; cloud jobs printed with what they chose) and records the
// settings a job printed with in its output metadata; the server stores and
// returns the certification id a device registers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestServer } from '../helpers/server.ts';
import { cloudApi, SAMPLE_CDD, submitJob, type TestUser } from '../helpers/cloud.ts';
import { makePdf, startClaimedPrinter, waitFor, type ClaimedPrinter, type TestPrinter } from './helpers.ts';

let server: TestServer;
let printer: TestPrinter;
let owner: TestUser;
let printerId: string;
let setup: ClaimedPrinter | undefined;

before(async () => {
  setup = await startClaimedPrinter();
  ({ server, printer, owner, printerId } = setup);
});
after(() => setup?.stop());

const ticket = (print: Record<string, unknown>) => JSON.stringify({ version: '1.0', print });
const binItem = (value: string) => ({ vendor_ticket_item: [{ id: 'output_bin', value }] });

function sidecar(find: (s: Record<string, any>) => boolean): Record<string, any> | undefined {
  for (const file of readdirSync(printer.outputDir).filter((f) => f.endsWith('.json'))) {
    const found = JSON.parse(readFileSync(join(printer.outputDir, file), 'utf8'));
    if (find(found) && ['DONE', 'ABORTED'].includes(found.state.type)) return found;
  }
  return undefined;
}

test('the CDD declares dpi and output bins, locally and in the cloud', async () => {
  const local = (await printer.call('/privet/capabilities')).json as Record<string, any>;
  const cloud = (await cloudApi(server, 'printer', { printerid: printerId }, { token: owner.token })).body.printers[0].capabilities;
  for (const cdd of [local, cloud]) {
    assert.deepEqual(cdd.printer.dpi.option.map((o: Record<string, number>) => [o.horizontal_dpi, o.vertical_dpi]), [[300, 300], [600, 600]]);
    assert.deepEqual(cdd.printer.output_bin_unit.map((u: Record<string, string>) => u.vendor_id), ['face-down', 'face-up']);
    const bins = cdd.printer.vendor_capability.find((c: Record<string, string>) => c.id === 'output_bin');
    assert.equal(bins.type, 'SELECT');
    assert.deepEqual(bins.select_cap.option.map((o: Record<string, string>) => o.value), ['face-down', 'face-up']);
  }
});

test('createjob refuses a dpi or output bin the CDD does not offer (invalid_ticket)', async () => {
  for (const print of [{ dpi: { horizontal_dpi: 1200, vertical_dpi: 1200 } }, binItem('side-tray')]) {
    const reply = await printer.call('/privet/printer/createjob', { method: 'POST', body: ticket(print) });
    assert.equal(reply.json.error, 'invalid_ticket', JSON.stringify(print));
  }
});

test('a local job prints with the dpi and bin its ticket chose; without a ticket, with the defaults', async () => {
  const pdf = makePdf(1);
  const chosen = (await printer.call('/privet/printer/createjob', { method: 'POST', body: ticket({ dpi: { horizontal_dpi: 600, vertical_dpi: 600 }, ...binItem('face-up') }) })).json;
  const submitted = await printer.call(`/privet/printer/submitdoc?job_id=${chosen.job_id}`, { method: 'POST', body: pdf, headers: { 'Content-Type': 'application/pdf' } });
  assert.equal(submitted.json.job_id, chosen.job_id);
  const recorded = await waitFor('sidecar', () => sidecar((s) => s.job_id === chosen.job_id));
  assert.deepEqual([recorded.dpi, recorded.output_bin], [{ horizontal_dpi: 600, vertical_dpi: 600 }, 'face-up']);
  const simple = await printer.call('/privet/printer/submitdoc', { method: 'POST', body: pdf, headers: { 'Content-Type': 'application/pdf' } });
  const defaults = await waitFor('sidecar', () => sidecar((s) => s.job_id === simple.json.job_id));
  assert.deepEqual([defaults.dpi, defaults.output_bin], [{ horizontal_dpi: 300, vertical_dpi: 300 }, 'face-down']);
});

test('a cloud job prints with the dpi and bin its ticket chose', async () => {
  const reply = await submitJob(server, owner.token, printerId, {
    title: '600 dpi face up',
    content: new Uint8Array(makePdf(1)),
    ticket: { version: '1.0', print: { dpi: { horizontal_dpi: 600, vertical_dpi: 600 }, ...binItem('face-up') } },
  });
  assert.equal(reply.body.success, true, JSON.stringify(reply.body));
  const recorded = await waitFor('sidecar', () => sidecar((s) => s.server_job_id === String(reply.body.job.id)), 20_000);
  assert.equal(recorded.state.type, 'DONE');
  assert.deepEqual([recorded.dpi, recorded.output_bin], [{ horizontal_dpi: 600, vertical_dpi: 600 }, 'face-up']);
});

test('a cloud job whose ticket names an output bin the printer lacks is ABORTED with INVALID_TICKET', async () => {
  const reply = await submitJob(server, owner.token, printerId, { title: 'No such bin', content: new Uint8Array(makePdf(1)), ticket: { version: '1.0', print: binItem('side-tray') } });
  assert.equal(reply.body.success, true, JSON.stringify(reply.body));
  const id = String(reply.body.job.id);
  const job = await waitFor('aborted', async () => {
    const jobs = (await cloudApi(server, 'jobs', { printerid: printerId }, { token: owner.token })).body.jobs as Array<Record<string, any>>;
    const found = jobs.find((j) => j.id === id);
    return found?.semanticState?.state?.type === 'ABORTED' ? found : undefined;
  }, 20_000);
  assert.deepEqual(job.semanticState.state.device_action_cause, { error_code: 'INVALID_TICKET' });
});

test('the server stores and returns the certificationId a device registers', async () => {
  const registered = await cloudApi(server, 'register', { name: 'Certified', capabilities: JSON.stringify(SAMPLE_CDD), certification_id: 'GCP2-CERT-0042' }, { token: owner.token });
  assert.equal(registered.body.success, true, JSON.stringify(registered.body));
  const id = registered.body.printers[0].id;
  assert.equal(registered.body.printers[0].certificationId, 'GCP2-CERT-0042');
  const read = await cloudApi(server, 'printer', { printerid: id }, { token: owner.token });
  assert.equal(read.body.printers[0].certificationId, 'GCP2-CERT-0042');
  const plain = await cloudApi(server, 'printer', { printerid: printerId }, { token: owner.token });
  assert.equal('certificationId' in plain.body.printers[0], false);
});
