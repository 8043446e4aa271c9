// Issue 16 items 5 and 6 with the virtual printer: /search and /list say
// whether its device is connected without being asked (connectionStatus),
// and a fault set on its panel shows in /printer uiState within 2 s.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, submitJob, type TestUser } from '../helpers/cloud.ts';
import { cloudArgs, makePdf, registerThroughPrivet, startPrinter, waitFor, type TestPrinter } from './helpers.ts';

const FAULT_DEADLINE_MS = 2000;
/** How soon a reconnected device reads ONLINE again ("within seconds"). */
const RECONNECT_DEADLINE_MS = 10_000;
let server: TestServer;
let printer: TestPrinter;
let owner: TestUser;
let printerId: string;

const launch = () => ({ cloud: server.url, args: ['--no-mdns', '--auto-confirm', ...cloudArgs(server)] });

before(async () => {
  server = await startTestServer();
  owner = await createUser(server);
  printer = await startPrinter(launch());
  printerId = await registerThroughPrivet(printer, server.url, owner);
});
after(async () => {
  await printer?.stop();
  printer?.cleanup();
  await server?.stop();
});

/** Polls /printer (GET, as certification tooling asks) every 100 ms until `until` holds, failing after `deadlineMs`. */
async function uiStateWithin(deadlineMs: number, until: (uiState: Record<string, any>) => boolean): Promise<Record<string, any>> {
  const started = Date.now();
  for (;;) {
    const reply = await cloudApi(server, 'printer', { printerid: printerId, usecdd: 'True', extra_fields: 'connectionStatus,semanticState,uiState,queuedJobsCount' }, { token: owner.token, as: 'query' });
    const { uiState } = reply.body.printers[0];
    if (until(uiState)) return uiState;
    if (Date.now() - started > deadlineMs) assert.fail(`uiState is still ${JSON.stringify(uiState)} after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function listedStatus(path: 'search' | 'list'): Promise<string> {
  const reply = await cloudApi(server, path, {}, { token: owner.token });
  return reply.body.printers.find((p: Record<string, any>) => p.id === printerId).connectionStatus;
}

test('a jam set on the panel shows in /printer uiState within 2 s, and goes when cleared', async (t) => {
  const healthy = await uiStateWithin(FAULT_DEADLINE_MS, (ui) => ui.summary === 'IDLE');
  assert.deepEqual(healthy, { summary: 'IDLE', severity: 'NONE', num_issues: 0 });
  const setAt = Date.now();
  await printer.panelPost('/panel/state', { jam: true });
  const jammed = await uiStateWithin(FAULT_DEADLINE_MS, (ui) => ui.summary === 'STOPPED');
  t.diagnostic(`jam in uiState after ${Date.now() - setAt} ms`);
  assert.deepEqual(jammed, { summary: 'STOPPED', severity: 'HIGH', num_issues: 1, caption: 'paper jam' });
  await printer.panelPost('/panel/state', { jam: false });
  assert.deepEqual(await uiStateWithin(FAULT_DEADLINE_MS, (ui) => ui.summary === 'IDLE'), healthy);
});

test('cover, tray and toner faults read in a person\'s words', async () => {
  const cases: Array<[Record<string, unknown>, string, string]> = [
    [{ cover: 'open' }, 'door/cover is open', 'HIGH'],
    [{ cover: 'closed', paper: 'empty' }, 'input tray is empty', 'HIGH'],
    [{ paper: 'ok', cartridge: 'removed' }, 'toner is removed', 'HIGH'],
    [{ cartridge: 'installed', toner: 0 }, 'toner is empty', 'HIGH'],
    [{ toner: 5 }, 'toner is low', 'MEDIUM'],
  ];
  for (const [change, caption, severity] of cases) {
    await printer.panelPost('/panel/state', change);
    const ui = await uiStateWithin(FAULT_DEADLINE_MS, (state) => state.caption === caption);
    assert.equal(ui.severity, severity, caption);
    assert.equal(ui.num_issues, 1, caption);
  }
  await printer.panelPost('/panel/state', { toner: 100 });
  await uiStateWithin(FAULT_DEADLINE_MS, (ui) => ui.caption === undefined);
});

test('connectionStatus by default in /search and /list: OFFLINE once the device disconnects, ONLINE within seconds of reconnecting', async (t) => {
  assert.equal(await listedStatus('search'), 'ONLINE');
  assert.equal(await listedStatus('list'), 'ONLINE');
  await printer.stop();
  await waitFor('OFFLINE', async () => ((await listedStatus('search')) === 'OFFLINE' ? true : undefined), RECONNECT_DEADLINE_MS);
  assert.equal(await listedStatus('list'), 'OFFLINE');
  const offline = await uiStateWithin(FAULT_DEADLINE_MS, (ui) => ui.summary === 'OFFLINE');
  assert.equal(offline.caption, 'printer is offline');
  // A job sent meanwhile waits in the queue, and says why.
  const waiting = await submitJob(server, owner.token, printerId, { title: 'While it is off', content: new Uint8Array(makePdf(1, 'later')) });
  const listed = await cloudApi(server, 'jobs', { printerid: printerId }, { token: owner.token });
  const queued = (listed.body.jobs as Array<Record<string, any>>).find((job) => job.id === waiting.body.job.id);
  assert.deepEqual(queued?.uiState, { summary: 'QUEUED', cause: 'printer is offline' });
  const restartedAt = Date.now();
  printer = await startPrinter({ ...launch(), dataDir: printer.dataDir });
  await waitFor('ONLINE', async () => ((await listedStatus('search')) === 'ONLINE' ? true : undefined), RECONNECT_DEADLINE_MS);
  t.diagnostic(`ONLINE ${Date.now() - restartedAt} ms after the printer process started again`);
  await uiStateWithin(FAULT_DEADLINE_MS, (ui) => ui.summary === 'IDLE');
  // Its start-up /printer shows `pending` equal to `current`: nothing to apply or confirm.
  assert.doesNotMatch(printer.log(), /applied pending local settings/);
});
