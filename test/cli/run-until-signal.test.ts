// The one signal path of the long-running commands (src/cli/run-until-signal.ts),
// in a child process since it installs process-wide handlers: the first
// signal stops the service once, later ones cannot cut the stop short, a
// failed stop exits 70, and a signal during start waits for the start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { waitFor } from '../helpers/wait.ts';

const RUN = resolve(import.meta.dirname, '../../src/cli/run-until-signal.ts');
const LOG = resolve(import.meta.dirname, '../../src/log.ts');

/** A service whose start and stop take `startMs` and `stopMs`; the child prints 'started' and 'stopped'. */
function service(options: { startMs: number; stopMs: number; stopFails?: boolean }) {
  const source = `import { runUntilSignal } from ${JSON.stringify(RUN)};
    import { createLogger } from ${JSON.stringify(LOG)};
    const wait = (ms) => new Promise((r) => setTimeout(r, ms));
    const keepAlive = setInterval(() => {}, 1000);
    const log = createLogger('info', 'signal-test');
    console.log(JSON.stringify({ msg: 'starting' }));
    await runUntilSignal('test', log, async () => {
      await wait(${options.startMs});
      console.log(JSON.stringify({ msg: 'started' }));
      return async () => {
        await wait(${options.stopMs});
        ${options.stopFails ? "log.info({ pad: 'x'.repeat(1 << 20) }, 'stopping'); throw new Error('stop broke');" : ''}
        clearInterval(keepAlive);
        console.log(JSON.stringify({ msg: 'stopped' }));
      };
    });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const messages = () => output.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { msg: string }).msg);
  const seen = (msg: string) => waitFor(msg, () => messages().includes(msg), 20_000, 20);
  return { child, exited, messages, seen };
}

test('the first signal stops the service once and exits 0; a second one during the stop changes nothing', async () => {
  const run = service({ startMs: 0, stopMs: 500 });
  await run.seen('started');
  run.child.kill('SIGTERM');
  await run.seen('shutting down');
  run.child.kill('SIGTERM');
  await run.seen('already shutting down');
  const [code, signal] = await run.exited;
  assert.deepEqual([code, signal], [0, null]);
  assert.deepEqual(run.messages(), ['starting', 'started', 'shutting down', 'already shutting down', 'stopped']);
});

test('a signal while the service starts stops it once it has started', async () => {
  const run = service({ startMs: 1500, stopMs: 0 });
  await run.seen('starting');
  await new Promise((r) => setTimeout(r, 100)); // its handlers are installed in the tick that printed 'starting'
  run.child.kill('SIGINT');
  const [code] = await run.exited;
  assert.equal(code, 0);
  assert.deepEqual(run.messages(), ['starting', 'shutting down', 'started', 'stopped']);
});

// The failing stop logs a 1 MiB line first: still being written when the
// stop fails, it must not be overtaken by the fatal line, which pino writes
// at once (src/log.ts exitAfterLogs).
test('a stop that fails is logged, after every earlier line, and the process exits 70', async () => {
  const run = service({ startMs: 0, stopMs: 0, stopFails: true });
  await run.seen('started');
  run.child.kill('SIGTERM');
  const [code] = await run.exited;
  assert.equal(code, 70);
  assert.deepEqual(run.messages(), ['starting', 'started', 'shutting down', 'stopping', 'shutdown failed']);
});
