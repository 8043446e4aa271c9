// --cups QUEUE: printing to a real CUPS (its own cupsd on a free loopback
// port, test/helpers/cups.ts) over IPP, with the CUPS job state mapped back
// (GCP §d item 8): completed → DONE, canceled → ABORTED with
// user_action_cause CANCELLED.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startCups, type TestCups } from '../helpers/cups.ts';
import { makePdf, seedRegistration, startPrinter, tempDir, waitFor, type TestPrinter } from './helpers.ts';

const QUEUE = 'ocp-privet-test';
const canRun = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('which', ['cupsd', 'lpadmin']);
    return true;
  } catch {
    return false;
  }
})();

let cups: TestCups;
let server: string;
let printer: TestPrinter;

before(async () => {
  if (!canRun) return;
  cups = await startCups();
  server = cups.server;
  await cups.addQueue(QUEUE);
  const dataDir = tempDir();
  seedRegistration(dataDir);
  printer = await startPrinter({ dataDir, args: ['--no-mdns', '--cups', QUEUE, '--cups-server', server] });
});

after(async () => {
  if (!canRun) return;
  await printer?.stop();
  printer?.cleanup();
  await cups?.stop();
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
