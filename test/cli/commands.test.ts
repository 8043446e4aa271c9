// The `ocp` commands of issue 18 driven as people and scripts run them: the
// real binary against a real server and, for `print --wait` to DONE, a real
// virtual printer. Exit codes, --json shapes and error messages are the
// contract.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, oauthToken, registerAndClaim, type TestUser } from '../helpers/cloud.ts';
import { cloudArgs, makePdf, registerThroughPrivet, startPrinter, type TestPrinter } from '../privet/helpers.ts';
import { waitFor } from '../helpers/wait.ts';
import { ocp as run, ocpOnTty } from './run-ocp.ts';

const home = tempDir();
const credentials = join(home, 'credentials.json');
const pdf = join(home, 'report.pdf');
let server: TestServer;
let user: TestUser;
let printer: TestPrinter;
let livePrinterId: string;

const ocp = (args: string[], options?: Parameters<typeof run>[2]) => run(credentials, args, options);
const asUser = (...args: string[]) => [...args, '--cloud', server.url, '--token', user.token];

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

before(async () => {
  server = await startTestServer();
  user = await createUser(server);
  writeFileSync(pdf, makePdf(2));
  printer = await startPrinter({ cloud: server.url, args: ['--no-mdns', '--auto-confirm', ...cloudArgs(server)] });
  livePrinterId = await registerThroughPrivet(printer, server.url, user);
});
after(async () => {
  await printer?.stop();
  printer?.cleanup();
  await server?.stop();
  rmSync(home, { recursive: true, force: true });
});

test('print --wait exits 0 once the printer has printed the job, with the final job as --json', async () => {
  const done = await ocp(asUser('print', pdf, '--printer', livePrinterId, '--wait', '--json'));
  assert.equal(done.code, 0, done.stderr);
  const { job } = JSON.parse(done.stdout) as { job: Record<string, unknown> };
  assert.deepEqual(Object.keys(job).sort(), ['cause', 'createTime', 'id', 'pagesPrinted', 'printerId', 'printerName', 'state', 'title', 'updateTime']);
  assert.equal(job.state, 'DONE');
  assert.equal(job.printerId, livePrinterId);
  assert.equal(job.title, 'report.pdf');
  assert.equal(job.cause, null);
  assert.doesNotMatch(done.stderr, /no live updates/, 'followed over the event stream, not by polling');
});

test('print --wait exits 1 with the cause when the job is cancelled, and says so when its printer is deleted', async () => {
  const idle = await registerAndClaim(server, user, { name: 'No device' });
  const waiting = ocp(asUser('print', pdf, '--printer', idle.printerId, '--wait'));
  const jobId = await waitFor('the job queued', async () => {
    const { body } = await cloudApi(server, 'jobs', { printerid: idle.printerId }, { token: user.token });
    return (body.jobs as Array<{ id: string }>)[0]?.id;
  });
  const cancelled = await ocp(asUser('cancel', jobId, '--json'));
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.deepEqual(JSON.parse(cancelled.stdout), { job: { id: jobId, state: 'ABORTED', cause: 'cancelled by a user' } });
  const ended = await waiting;
  assert.equal(ended.code, 1);
  assert.match(ended.stderr, new RegExp(`job ${jobId} ABORTED: cancelled by a user`));

  const waitingAgain = ocp(asUser('print', pdf, '--printer', idle.printerId, '--wait'));
  await waitFor('the second job queued', async () => {
    const { body } = await cloudApi(server, 'jobs', { printerid: idle.printerId, status: 'QUEUED' }, { token: user.token });
    return (body.jobs as unknown[]).length > 0 || undefined;
  });
  const deleted = await ocp(asUser('printer-delete', idle.printerId, '--yes', '--json'));
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(JSON.parse(deleted.stdout), { printerId: idle.printerId, deleted: true });
  const gone = await waitingAgain;
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, new RegExp(`did not print: printer ${idle.printerId} was deleted`));
});

test('print --wait reads the job every --poll-interval when the event stream is refused', async () => {
  const idle = await registerAndClaim(server, user, { name: 'Polled' });
  // A robot's token: /cloudprint accepts it, the console's stream (people only) refuses it.
  const robot = ['--cloud', server.url, '--token', idle.accessToken];
  const shared = await ocp(asUser('share', idle.printerId, user.email, '--role', 'OWNER'));
  assert.equal(shared.code, 0, shared.stderr);
  const waiting = ocp(['print', pdf, '--printer', idle.printerId, '--wait', '--poll-interval', '0.2', ...robot]);
  const jobId = await waitFor('the job queued', async () => {
    const { body } = await cloudApi(server, 'jobs', { printerid: idle.printerId }, { token: user.token });
    return (body.jobs as Array<{ id: string }>)[0]?.id;
  });
  await cloudApi(server, 'control', { jobid: jobId, semantic_state_diff: JSON.stringify({ state: { type: 'DONE' }, pages_printed: 2 }) }, { token: idle.accessToken });
  const done = await waiting;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stderr, /no live updates \(.*HTTP 401.*\); reading the job every 0\.2 s/);
  assert.match(done.stdout, new RegExp(`job ${jobId} DONE`));
});

test('printers, jobs, share and unshare print stable --json shapes', async () => {
  const printers = JSON.parse((await ocp(asUser('printers', '--json'))).stdout) as Array<Record<string, unknown>>;
  const live = printers.find((p) => p.id === livePrinterId);
  assert.deepEqual(Object.keys(live ?? {}).sort(), ['connection', 'id', 'name', 'owner', 'queuedJobs', 'state']);
  assert.equal(live?.owner, user.email);
  assert.equal(live?.state, 'IDLE');
  assert.equal(typeof live?.queuedJobs, 'number');

  const jobs = JSON.parse((await ocp(asUser('jobs', '--printer', livePrinterId, '--json'))).stdout) as Array<Record<string, unknown>>;
  assert.ok(jobs.length > 0);
  for (const job of jobs) assert.deepEqual(Object.keys(job).sort(), ['cause', 'createTime', 'id', 'pagesPrinted', 'printerId', 'printerName', 'state', 'title', 'updateTime']);

  const other = await createUser(server);
  const shared = await ocp(asUser('share', livePrinterId, other.email, '--role', 'MANAGER', '--json'));
  assert.deepEqual(JSON.parse(shared.stdout), { printerId: livePrinterId, email: other.email, role: 'MANAGER' });
  const seen = await cloudApi(server, 'search', {}, { token: other.token });
  assert.ok((seen.body.printers as Array<{ id: string }>).some((p) => p.id === livePrinterId), 'the other user sees the printer');
  const unshared = await ocp(asUser('unshare', livePrinterId, other.email, '--json'));
  assert.deepEqual(JSON.parse(unshared.stdout), { printerId: livePrinterId, email: other.email, role: null });
  const refused = await ocp(asUser('share', livePrinterId, other.email, '--role', 'ADMIN'));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /ADMIN.*Allowed choices are USER, MANAGER, OWNER/);
});

test('logout revokes the saved refresh token at the server and deletes the saved login', async () => {
  const login = await ocp(['login', user.email, '--cloud', server.url, '--password-stdin'], { stdin: `${user.password}\n` });
  assert.equal(login.code, 0, login.stderr);
  const { refreshToken } = JSON.parse(readFileSync(credentials, 'utf8')) as { refreshToken: string };
  const out = await ocp(['logout']);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, new RegExp(`signed out ${user.email}`));
  assert.equal(existsSync(credentials), false);
  const reused = await oauthToken(server, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'ocp-cli' });
  assert.equal(reused.status, 400, 'the refresh token no longer works');
  assert.match((await ocp(['logout'])).stdout, /not signed in/);
});

test('login asks for the password on a terminal without echoing it', async () => {
  const typed = await ocpOnTty(credentials, ['login', user.email, '--cloud', server.url], { answer: { when: /Password: /, input: `${user.password}\r` } });
  assert.equal(typed.code, 0, typed.output);
  assert.match(typed.output, new RegExp(`signed in as ${user.email}`));
  assert.ok(!typed.output.includes(user.password), 'the password is not echoed');
  rmSync(credentials);
});

test('logout keeps the saved login when the server cannot be reached, and says where it tried', async () => {
  const port = await closedPort();
  writeFileSync(credentials, JSON.stringify({ cloud: `http://127.0.0.1:${port}`, email: user.email, refreshToken: 'kept' }), { mode: 0o600 });
  const out = await ocp(['logout']);
  assert.equal(out.code, 1);
  assert.match(out.stderr, new RegExp(`cannot reach http://127.0.0.1:${port}/oauth2/revoke: connect ECONNREFUSED`));
  assert.match(out.stderr, /saved login .* is kept/);
  assert.equal(JSON.parse(readFileSync(credentials, 'utf8')).refreshToken, 'kept');
  rmSync(credentials);
});

test('errors name what failed and why: the URL and cause, the file, the server\'s message', async () => {
  const port = await closedPort();
  const offline = await ocp(['printers', '--cloud', `http://127.0.0.1:${port}`, '--token', 'x']);
  assert.equal(offline.code, 1);
  assert.equal(offline.stderr.trim(), `ocp: /search: cannot reach http://127.0.0.1:${port}/cloudprint/search: connect ECONNREFUSED 127.0.0.1:${port}`);
  const missing = await ocp(asUser('print', join(home, 'nowhere.pdf'), '--printer', livePrinterId));
  assert.equal(missing.stderr.trim(), `ocp: cannot read ${join(home, 'nowhere.pdf')}: no such file`);
  const http = await ocp(asUser('share', 'no-such-printer', 'a@example.com'));
  assert.match(http.stderr, /^ocp: \/share: HTTP \d{3} .*no-such-printer/m);
});

test('colours and the upload bar only on a terminal, and no colours with NO_COLOR', async () => {
  const port = await closedPort();
  const args = ['printers', '--cloud', `http://127.0.0.1:${port}`, '--token', 'x'];
  assert.match((await ocpOnTty(credentials, args)).output, /\u001b\[31mocp:\u001b\[0m/);
  assert.doesNotMatch((await ocpOnTty(credentials, args, { env: { NO_COLOR: '1' } })).output, /\u001b\[/);
  assert.doesNotMatch((await ocp(args)).stderr, /\u001b\[/);

  const onTty = await ocpOnTty(credentials, asUser('print', pdf, '--printer', livePrinterId));
  assert.equal(onTty.code, 0, onTty.output);
  assert.match(onTty.output, /uploading report\.pdf \[.*\] 100%/);
  const piped = await ocp(asUser('print', pdf, '--printer', livePrinterId));
  assert.equal(piped.stderr, '', 'no bar when stderr is not a terminal');
});

test('printer-delete asks on a terminal, and wants --yes without one', async () => {
  const spare = await registerAndClaim(server, user, { name: 'Spare' });
  const noTty = await ocp(asUser('printer-delete', spare.printerId));
  assert.equal(noTty.code, 1);
  assert.match(noTty.stderr, /give --yes/);
  const declined = await ocpOnTty(credentials, asUser('printer-delete', spare.printerId), { answer: { when: /\[y\/N\]/, input: 'n\r' } });
  assert.equal(declined.code, 1, declined.output);
  assert.match(declined.output, /Delete printer "Spare"/);
  assert.equal((await cloudApi(server, 'printer', { printerid: spare.printerId }, { token: user.token })).body.success, true, 'still there');
  const accepted = await ocpOnTty(credentials, asUser('printer-delete', spare.printerId), { answer: { when: /\[y\/N\]/, input: 'y\r' } });
  assert.equal(accepted.code, 0, accepted.output);
  assert.match(accepted.output, /printer \S+ deleted/);
});

test('user, token and sender show only their own options in --help', async () => {
  for (const command of [['user', 'add'], ['user', 'list'], ['token', 'create'], ['sender', 'create']]) {
    const help = (await ocp([...command, '--help'])).stdout;
    assert.match(help, /--data/, command.join(' '));
    assert.doesNotMatch(help, /--http-port|--xmpp-port|--ccs-port|--tls-cert/, command.join(' '));
  }
});
