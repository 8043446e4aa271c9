// The bounds of one conversion tool (src/cloud/conversion/run-tool.ts):
// the timeout kills the whole process group, the address-space and file-size
// caps are the kernel's, and the resident-memory watchdog (for Chromium)
// kills a group that grows past the cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ConversionFailure, runTool, type ToolLimits } from '../../../src/cloud/conversion/run-tool.ts';
import { tempDir } from '../../helpers/server.ts';

const ROOMY: ToolLimits = { timeoutMs: 30_000, memoryBytes: 1024 ** 3, maxOutputBytes: 64 * 1024 ** 2 };

function running(marker: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(marker) && !line.includes('ps -eo'));
}

async function failure(promise: Promise<void>): Promise<ConversionFailure> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof ConversionFailure, `expected a ConversionFailure, got ${String(error)}`);
  return error;
}

test('the timeout kills the tool and every process it started', async () => {
  const marker = `sleep ${1000 + (process.pid % 1000)}`;
  const started = Date.now();
  const error = await failure(runTool({ command: 'sh', args: ['-c', `${marker} & ${marker}; wait`], limits: { ...ROOMY, timeoutMs: 300 } }));
  assert.equal(error.errorCode, 'CONVERSION_ERROR');
  assert.match(error.message, /ran longer than 300 ms/);
  assert.ok(Date.now() - started < 5000);
  assert.deepEqual(running(marker), []);
});

test('a tool past the address-space cap fails (RLIMIT_AS)', async () => {
  const allocate = (mib: number) => ['-c', `bytearray(${mib} << 20)`];
  const limits = { ...ROOMY, memoryBytes: 100 * 1024 ** 2 };
  await runTool({ command: '/usr/bin/python3', args: allocate(40), limits });
  const error = await failure(runTool({ command: '/usr/bin/python3', args: allocate(200), limits }));
  assert.equal(error.errorCode, 'CONVERSION_ERROR');
  assert.match(error.message, /MemoryError/);
});

test('a file written past the output cap ends with CONVERSION_FILE_TOO_BIG (RLIMIT_FSIZE)', async () => {
  const dir = tempDir();
  try {
    await runTool({ command: 'head', args: ['-c', '4096', '/dev/zero'], limits: { ...ROOMY, maxOutputBytes: 8192 }, cwd: dir });
    const error = await failure(runTool({ command: 'sh', args: ['-c', `head -c 100000 /dev/zero > ${join(dir, 'out')}`], limits: { ...ROOMY, maxOutputBytes: 8192 } }));
    assert.equal(error.errorCode, 'CONVERSION_FILE_TOO_BIG');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the resident-memory watchdog kills a process group that grows past the cap', async () => {
  const grow = 'const a = []; setInterval(() => a.push(Buffer.alloc(16 << 20, 1)), 20)';
  const error = await failure(runTool({ command: process.execPath, args: ['-e', grow], watchResident: true, limits: { ...ROOMY, memoryBytes: 256 * 1024 ** 2 } }));
  assert.equal(error.errorCode, 'CONVERSION_ERROR');
  assert.match(error.message, /more than 268435456 bytes of memory/);
});
