// The log's format follows its reader: pretty lines on a terminal (a pseudo
// terminal from util-linux `script` here), JSON lines otherwise; redacted both ways.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const LOG_MODULE = new URL('../../src/log.ts', import.meta.url).pathname;
const PROGRAM = `import('${LOG_MODULE}').then(({ createLogger }) => createLogger('info').info({ printerId: 'p-1', password: 'hunter2-secret' }, 'hello'))`;
const node = ['node', '--import', 'tsx', '-e', PROGRAM];

test('on a terminal the log is pretty-printed, secrets redacted', async () => {
  const { stdout } = await run('script', ['-qec', node.map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null'], { timeout: 20_000 });
  const text = stdout.replace(/\x1b\[[0-9;]*m/g, '');
  assert.match(text, /INFO \(ocp\/\d+\): hello/);
  assert.match(text, /printerId: "p-1"/);
  assert.doesNotMatch(text, /hunter2-secret/);
  assert.doesNotMatch(text, /^\{/m);
});

test('off a terminal the log is one JSON object per line, secrets redacted', async () => {
  const { stdout } = await run(node[0]!, node.slice(1), { timeout: 20_000 });
  const line = JSON.parse(stdout.trim()) as Record<string, unknown>;
  assert.equal(line.msg, 'hello');
  assert.equal(line.printerId, 'p-1');
  assert.equal(line.password, '[redacted]');
});
