// The printer's state reports to the cloud (issue 16 item 8): gathered for
// the delay and never postponed beyond it, an unchanged state not re-sent,
// one report in flight at a time with the newest state following, and a
// failed report sent again on resend (a reconnection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateReporter } from '../../src/privet/state-report.ts';

const DELAY = 50;

function harness(fail = () => false, hold?: Promise<void>) {
  let state = { printer: { state: 'IDLE' } } as Record<string, any>;
  const sent: string[] = [];
  let started = 0;
  const reporter = new StateReporter(() => state, async (cds) => {
    started++;
    await hold;
    if (fail()) throw new Error('cloud unreachable');
    sent.push((cds as Record<string, any>).printer.state);
  }, DELAY);
  return { reporter, sent, started: () => started, set: (s: string) => (state = { printer: { state: s } }) };
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  assert.ok(check(), what);
}

test('changes within the delay are sent once, with the latest state; an unchanged state is not re-sent', async () => {
  const { reporter, sent, set } = harness();
  set('STOPPED');
  reporter.changed();
  set('PROCESSING');
  reporter.changed();
  await until('sent', () => sent.length > 0);
  await sleep(DELAY * 2);
  assert.deepEqual(sent, ['PROCESSING']);
  reporter.changed();
  await sleep(DELAY * 2);
  assert.deepEqual(sent, ['PROCESSING']);
  reporter.resend();
  await until('re-sent', () => sent.length > 1);
  assert.deepEqual(sent, ['PROCESSING', 'PROCESSING']);
  reporter.stop();
});

test('a change during a slow report is sent after it', async () => {
  let release!: () => void;
  const { reporter, sent, started, set } = harness(() => false, new Promise<void>((resolve) => (release = resolve)));
  set('STOPPED');
  reporter.changed();
  await until('the first report in flight', () => started() === 1);
  set('IDLE');
  reporter.changed();
  release();
  await until('both sent', () => sent.length === 2);
  assert.deepEqual(sent, ['STOPPED', 'IDLE']);
  reporter.stop();
});

test('a failed report is not retried in a loop, and is sent on resend', async () => {
  let failing = true;
  const { reporter, sent, set, started } = harness(() => failing);
  const attempts = started;
  set('STOPPED');
  reporter.changed();
  await until('tried', () => attempts() === 1);
  await sleep(DELAY * 3);
  assert.equal(attempts(), 1);
  assert.deepEqual(sent, []);
  failing = false;
  reporter.resend();
  await until('sent', () => sent.length === 1);
  assert.deepEqual(sent, ['STOPPED']);
  reporter.stop();
});
