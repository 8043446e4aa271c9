// --cups QUEUE: printing to a real CUPS (its own cupsd on a free loopback
// port, a file:/dev/null queue) over IPP, with the CUPS job state mapped back
// (cloudprint-protocol §d item 8): completed → DONE, canceled → ABORTED with
// user_action_cause CANCELLED.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { makePdf, seedRegistration, startPrinter, tempDir, waitFor, type TestPrinter } from './helpers.ts';

const QUEUE = 'ocp-privet-test';
const canRun = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('which', ['cupsd', 'ipptool', 'lpadmin']);
    return true;
  } catch {
    return false;
  }
})();

let cupsd: ChildProcess;
let dir: string;
let server: string;
let printer: TestPrinter;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

before(async () => {
  if (!canRun) return;
  dir = tempDir('ocp-cups-');
  for (const sub of ['spool', 'cache', 'state', 'log']) mkdirSync(join(dir, sub));
  const port = await freePort();
  server = `127.0.0.1:${port}`;
  writeFileSync(join(dir, 'cupsd.conf'), `Listen ${server}\nLogLevel warn\nWebInterface No\nBrowsing No\n<Location />\n  Order allow,deny\n  Allow 127.0.0.1\n</Location>\n<Location /admin>\n  Order allow,deny\n  Allow 127.0.0.1\n</Location>\n<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n`);
  writeFileSync(join(dir, 'cups-files.conf'), ['FileDevice Yes', `ServerRoot ${dir}`, `RequestRoot ${dir}/spool`, `CacheDir ${dir}/cache`, `StateDir ${dir}/state`, `ErrorLog ${dir}/log/error_log`, `AccessLog ${dir}/log/access_log`, `PageLog ${dir}/log/page_log`, `TempDir ${dir}/spool`, 'Sandboxing Relaxed', ''].join('\n'));
  cupsd = spawn('cupsd', ['-f', '-C', join(dir, 'cupsd.conf'), '-s', join(dir, 'cups-files.conf')], { stdio: 'ignore' });
  await waitFor('cupsd', () => {
    try {
      execFileSync('lpadmin', ['-h', server, '-p', QUEUE, '-v', 'file:/dev/null', '-E'], { stdio: 'ignore' });
      return true;
    } catch {
      return undefined;
    }
  });
  const dataDir = tempDir();
  seedRegistration(dataDir);
  printer = await startPrinter({ dataDir, args: ['--no-mdns', '--cups', QUEUE, '--cups-server', server] });
});

after(async () => {
  if (!canRun) return;
  await printer?.stop();
  printer?.cleanup();
  if (cupsd && cupsd.exitCode === null) {
    cupsd.kill('SIGTERM');
    await once(cupsd, 'exit');
  }
  rmSync(dir, { recursive: true, force: true });
});

const submit = (name: string) => printer.call(`/privet/printer/submitdoc?job_name=${name}`, { method: 'POST', body: makePdf(1), headers: { 'Content-Type': 'application/pdf' } });

test('a document printed to a CUPS queue: the CUPS job completes and the Privet job is done', { skip: !canRun && 'needs root and cups' }, async () => {
  const reply = await submit('To%20CUPS');
  assert.equal(reply.status, 200, JSON.stringify(reply.json));
  const state = (await printer.call(`/privet/printer/jobstate?job_id=${reply.json.job_id}`)).json;
  assert.equal(state.state, 'done');
  const completed = execFileSync('lpstat', ['-h', server, '-W', 'completed', '-o', QUEUE], { encoding: 'utf8' });
  assert.match(completed, new RegExp(`^${QUEUE}-\\d+`, 'm'));
});

test('a CUPS job cancelled in CUPS is ABORTED with user_action_cause CANCELLED', { skip: !canRun && 'needs root and cups' }, async () => {
  execFileSync('cupsdisable', ['-h', server, QUEUE]);
  const { job_id } = (await printer.call('/privet/printer/createjob', { method: 'POST', body: '{}' })).json;
  const pending = printer.call(`/privet/printer/submitdoc?job_id=${job_id}`, { method: 'POST', body: makePdf(1), headers: { 'Content-Type': 'application/pdf' } });
  await waitFor('job queued in CUPS', () => execFileSync('lpstat', ['-h', server, '-o', QUEUE], { encoding: 'utf8' }).includes(QUEUE) || undefined);
  assert.equal((await printer.call(`/privet/printer/jobstate?job_id=${job_id}`)).json.state, 'in_progress');
  execFileSync('cancel', ['-h', server, '-a', QUEUE]);
  await pending;
  const state = (await printer.call(`/privet/printer/jobstate?job_id=${job_id}`)).json;
  assert.equal(state.state, 'aborted');
  assert.deepEqual((state.semantic_state as { state: unknown }).state, { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } });
  execFileSync('cupsenable', ['-h', server, QUEUE]);
});
