// The CUPS connector end to end: a real server, a private cupsd with two
// queues whose devices are AppSocket listeners, and the connector between.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, submitJob, type TestUser } from '../helpers/cloud.ts';
import { startCups, type SocketPrinter, type TestCups } from '../helpers/cups.ts';
import { waitFor } from '../helpers/wait.ts';
import { silentLogger } from '../../src/log.ts';
import { CloudPrintApi } from '../../src/client/cloudprint-api.ts';
import { Connector, createIdentity, saveIdentity } from '../../src/connector/connector.ts';

let server: TestServer;
let cups: TestCups;
let user: TestUser;
let connector: Connector;
let office: SocketPrinter;
let dataDir: string;

const OCP = resolve(import.meta.dirname, '../../bin/ocp');

before(async () => {
  server = await startTestServer();
  cups = await startCups();
  user = await createUser(server);
  office = await cups.addQueue('office', { info: 'Office laser', location: 'Floor 2' });
  await cups.addQueue('lab');
  dataDir = tempDir();
  const userApi = new CloudPrintApi({ cloudUrl: server.url, accessToken: async () => user.token });
  saveIdentity(dataDir, await createIdentity(userApi, server.url));
  connector = new Connector({
    dataDir,
    cups: cups.server,
    xmppUrl: `xmpps://127.0.0.1:${server.ports.xmpps}`,
    caFile: server.context.tls.caPath,
    log: silentLogger(),
    syncIntervalMs: 3_600_000,
    jobPollMs: 100,
  });
  await connector.start();
});
after(async () => {
  await connector?.stop();
  await cups?.stop();
  await server?.stop();
});

async function userPrinters(): Promise<Array<Record<string, any>>> {
  const reply = await cloudApi(server, 'search', { extra_fields: 'semanticState' }, { token: user.token });
  return reply.body.printers;
}

test('every CUPS queue appears in the cloud under the user who made the robot, with its capabilities', async () => {
  const printers = await userPrinters();
  assert.deepEqual(printers.map((p) => p.name).sort(), ['lab', 'office']);
  const id = connector.printerIds().get('office')!;
  const details = await cloudApi(server, 'printer', { printerid: id, use_cdd: 'true' }, { token: user.token });
  const printer = details.body.printers[0];
  assert.equal(printer.defaultDisplayName, 'Office laser');
  assert.ok(printer.capabilities.printer.supported_content_type.some((t: { content_type: string }) => t.content_type === 'application/pdf'));
  assert.ok(printer.tags.includes('__cp__printer-location=Floor 2'));
});

test('ocp connector status shows CUPS read, and the cloud printer of each queue', () => {
  const shown = JSON.parse(execFileSync(OCP, ['connector', 'status', '--data', dataDir, '--json'], { encoding: 'utf8' }));
  assert.equal(shown.state, 'ok');
  assert.equal(shown.cups, cups.server);
  assert.deepEqual(shown.printers, Object.fromEntries(connector.printerIds()));
});

test('a job submitted to the cloud is pushed, printed through CUPS byte for byte, and ends DONE', async () => {
  const id = connector.printerIds().get('office')!;
  const document = Buffer.from('%PDF-1.4\n% connector test document\n%%EOF\n');
  const submitted = await submitJob(server, user.token, id, { title: 'via cups', content: new Uint8Array(document), contentType: 'application/pdf' });
  assert.equal(submitted.body.success, true);
  const jobId = submitted.body.job.id;
  await waitFor('the document at the device', () => office.received.find((b) => b.equals(document)), 20_000);
  const done = await waitFor('the job DONE in the cloud', async () => {
    const jobs = await cloudApi(server, 'jobs', { printerid: id }, { token: user.token });
    const job = jobs.body.jobs.find((j: { id: string }) => j.id === jobId);
    return job?.semanticState?.state?.type === 'DONE' ? job : undefined;
  }, 20_000);
  assert.equal(done.title, 'via cups');
});

test('a queue removed from CUPS is deleted from the cloud at the next sync', async () => {
  await cups.deleteQueue('lab');
  await connector.sync();
  assert.deepEqual((await userPrinters()).map((p) => p.name), ['office']);
});
