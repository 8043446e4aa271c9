// Cloud jobs on a registered printer (GCP §c, §d; Privet
// §6.1): conversion of PostScript with Ghostscript, STOPPED with its cause
// reported through /control while the panel says paper out, and the XMPP
// channel going offline with the server and coming back (cs tracks it).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, submitJob, type TestUser } from '../helpers/cloud.ts';
import { makePdf, startClaimedPrinter, waitFor, waitForCloudJob, type ClaimedPrinter, type TestPrinter } from './helpers.ts';

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

const cloudJob = (id: string, until: (job: Record<string, any>) => boolean) => waitForCloudJob(setup!, id, until);

function sidecarFor(serverJobId: string): Record<string, any> | undefined {
  for (const file of readdirSync(printer.outputDir).filter((f) => f.endsWith('.json'))) {
    const sidecar = JSON.parse(readFileSync(join(printer.outputDir, file), 'utf8'));
    if (sidecar.server_job_id === serverJobId && ['DONE', 'ABORTED'].includes(sidecar.state.type)) return sidecar;
  }
  return undefined;
}

test('a PostScript cloud job is converted to PDF by Ghostscript and printed', async () => {
  const ps = '%!PS\n/Helvetica findfont 24 scalefont setfont 72 720 moveto (Converted) show showpage\n';
  const reply = await submitJob(server, owner.token, printerId, { title: 'PostScript', content: ps, contentType: 'application/postscript' });
  assert.equal(reply.body.success, true, JSON.stringify(reply.body));
  const id = String(reply.body.job.id);
  await cloudJob(id, (j) => j.semanticState?.state?.type === 'DONE');
  const sidecar = await waitFor('sidecar', () => sidecarFor(id));
  assert.equal(sidecar.content_type, 'application/pdf');
  assert.match(readFileSync(sidecar.document, 'latin1').slice(0, 8), /^%PDF-1\.\d/);
  assert.equal(sidecar.pages_printed, 1);
});

test('paper out: the cloud job is STOPPED with device_state_cause INPUT_TRAY, then DONE when paper is loaded', async () => {
  await printer.panelPost('/panel/state', { paper: 'empty' });
  const reply = await submitJob(server, owner.token, printerId, { title: 'Waits for paper', content: new Uint8Array(makePdf(2)) });
  const id = String(reply.body.job.id);
  const stopped = await cloudJob(id, (j) => j.semanticState?.state?.type === 'STOPPED');
  assert.deepEqual(stopped.semanticState.state.device_state_cause, { error_code: 'INPUT_TRAY' });
  await printer.panelPost('/panel/state', { paper: 'ok' });
  const done = await cloudJob(id, (j) => j.semanticState?.state?.type === 'DONE');
  assert.equal(done.semanticState.pages_printed, 2);
});

test('the channel follows the server: cs offline while it is down, online again after reconnecting; jobs queued meanwhile print', async () => {
  const ports = { http: server.ports.http!, xmpps: server.ports.xmpps! };
  await server.stop({ keepData: true });
  await waitFor('offline', async () => (await printer.info()).connection_state === 'offline');
  server = setup!.server = await startTestServer({ dataDir: server.dataDir, httpPort: ports.http, xmppsPort: ports.xmpps });
  const reply = await submitJob(server, owner.token, printerId, { title: 'After restart', content: new Uint8Array(makePdf(1)) });
  const id = String(reply.body.job.id);
  await waitFor('online again', async () => (await printer.info()).connection_state === 'online', 60_000);
  await cloudJob(id, (j) => j.semanticState?.state?.type === 'DONE');
});

test('§4.1.1 local_discovery=false closes the whole local API (even /privet/info); true opens it again on the same port', async () => {
  const settings = (local_discovery: boolean) => ({ current: { local_discovery, access_token_enabled: true, 'printer/local_printing_enabled': true, 'printer/conversion_printing_enabled': true, xmpp_timeout_value: 300 } });
  const privetPort = new URL(printer.privet).port;
  assert.equal((await cloudApi(server, 'update', { printerid: printerId, local_settings: JSON.stringify(settings(false)) }, { token: owner.token })).body.success, true);
  await waitFor('Privet API closed', async () => {
    try {
      await printer.info();
      return undefined;
    } catch {
      return true;
    }
  }, 20_000);
  assert.equal((await printer.panelState()).registered, true); // the front panel stays
  assert.equal((await cloudApi(server, 'update', { printerid: printerId, local_settings: JSON.stringify(settings(true)) }, { token: owner.token })).body.success, true);
  const info = await waitFor('Privet API back', async () => printer.info().catch(() => undefined), 20_000);
  assert.equal(info.id, printerId);
  assert.equal(new URL(printer.privet).port, privetPort);
});
