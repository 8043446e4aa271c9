// The long-running commands' policy for errors nothing caught
// (src/cli/error-policy.ts): logged with context, the process goes on; a
// failed listener ends it with status 70. Run in a child process, since the
// policy installs process-wide handlers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';

const POLICY = resolve(import.meta.dirname, '../../src/cli/error-policy.ts');

async function run(script: string): Promise<{ code: number | null; lines: Array<Record<string, unknown>> }> {
  const source = `import { installErrorPolicy } from ${JSON.stringify(POLICY)};\nimport { createLogger } from ${JSON.stringify(resolve(import.meta.dirname, '../../src/log.ts'))};\ninstallErrorPolicy('test', createLogger('info', 'policy-test'));\n${script}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, lines: output.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
}

test('an unhandled rejection and an uncaught exception are logged with context; the process goes on', async () => {
  const { code, lines } = await run(`
    Promise.reject(new Error('lost promise'));
    setTimeout(() => { throw new Error('thrown in a timer'); }, 10);
    setTimeout(() => { console.log(JSON.stringify({ msg: 'still serving' })); }, 200);
  `);
  assert.equal(code, 0);
  const errors = lines.filter((line) => line.level === 50);
  assert.deepEqual(errors.map((line) => [line.command, line.kind, (line.err as { message: string }).message]), [
    ['test', 'unhandled rejection', 'lost promise'],
    ['test', 'uncaught exception', 'thrown in a timer'],
  ]);
  assert.equal(lines.at(-1)!.msg, 'still serving');
});

test('a listener that fails ends the process with status 70', async () => {
  const { code, lines } = await run(`
    import { createServer } from 'node:net';
    const first = createServer().listen(0, '127.0.0.1', () => {
      createServer().listen(first.address().port, '127.0.0.1'); // EADDRINUSE, no 'error' listener
    });
  `);
  assert.equal(code, 70);
  assert.equal(lines.at(-1)!.level, 60);
  assert.equal((lines.at(-1)!.err as { code: string }).code, 'EADDRINUSE');
});
