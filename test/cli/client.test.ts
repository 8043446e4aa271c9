import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { createUser, registerAndClaim, type TestUser } from '../helpers/cloud.ts';
import { makePdf, startPrinter, type TestPrinter } from '../privet/helpers.ts';
import { waitFor } from '../helpers/wait.ts';

const OCP = new URL('../../bin/ocp', import.meta.url).pathname;
const home = tempDir();
const credentials = join(home, 'credentials.json');
let server: TestServer;
let user: TestUser;

function ocp(args: string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(OCP, args, { env: { ...process.env, OCP_CREDENTIALS: credentials, OCP_CLOUD: '', OCP_TOKEN: '' } }, (error, stdout, stderr) =>
      error ? reject(new Error(`ocp ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
    );
    child.stdin?.end(stdin);
  });
}

before(async () => {
  server = await startTestServer();
  user = await createUser(server);
});
after(() => server.stop());

test('login saves a refresh token only, in a file only its owner can read', async () => {
  await assert.rejects(ocp(['login', user.email, '--cloud', server.url, '--password-stdin'], 'wrong password\n'), /invalid_grant|400/);
  assert.match(await ocp(['login', user.email, '--cloud', server.url, '--password-stdin'], `${user.password}\n`), /signed in/);
  assert.equal(statSync(credentials).mode & 0o777, 0o600);
});

test('commands run at once take turns refreshing the saved login, and all of them work', async () => {
  const listings = await Promise.all([1, 2, 3, 4, 5, 6].map(() => ocp(['printers'])));
  for (const listing of listings) assert.match(listing, /^ID\s+NAME/);
  assert.match(await ocp(['printers']), /^ID\s+NAME/, 'the login saved last is still good');
});

test('printers, print and jobs go through the cloud with the saved login', async () => {
  const printer = await registerAndClaim(server, user, { name: 'CLI Printer' });
  const listed = JSON.parse(await ocp(['printers', '--json'])) as Array<{ id: string }>;
  assert.ok(listed.some((p) => p.id === printer.printerId), 'the claimed printer is listed');
  const file = join(home, 'report.pdf');
  writeFileSync(file, makePdf(2));
  const queued = await ocp(['print', file, '--printer', printer.printerId, '--copies', '2']);
  const jobId = /job (\S+) queued/.exec(queued)?.[1];
  assert.ok(jobId, queued);
  const jobs = JSON.parse(await ocp(['jobs', '--printer', printer.printerId, '--json'])) as Array<Record<string, any>>;
  const job = jobs.find((j) => j.id === jobId);
  assert.equal(job?.title, 'report.pdf');
  assert.equal(job?.state, 'QUEUED');
  await assert.rejects(ocp(['print', file]), /exactly one of --printer/);
});

test('claim registers a Privet printer into the account, then prints to it locally', async () => {
  let printer: TestPrinter | undefined;
  try {
    printer = await startPrinter({ cloud: server.url, args: ['--auto-confirm'] });
    const claimed = await ocp(['claim', printer.privet]);
    const deviceId = /registered as (\S+)/.exec(claimed)?.[1];
    assert.ok(deviceId, claimed);
    assert.equal((await printer.info()).id, deviceId);
    const file = join(home, 'local.pdf');
    writeFileSync(file, makePdf(1));
    assert.match(await ocp(['print', file, '--local', printer.privet]), /local job \S+ accepted/);
    await waitFor('the local job in the output dir', async () => {
      const { readdirSync } = await import('node:fs');
      return readdirSync(printer!.outputDir).some((f) => f.endsWith('.json')) || undefined;
    });
  } finally {
    await printer?.stop();
  }
});
