// The one atomic file writer (src/files/atomic-write.ts): private by default,
// the content replaced whole, nothing left behind by a failed write, and
// writers in several processes at once never leave a torn file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileAtomic } from '../../src/files/atomic-write.ts';
import { tempDir } from '../helpers/server.ts';

const WRITER = resolve(import.meta.dirname, '../../src/files/atomic-write.ts');

test('a new file is 0600 under umask 022, and replacing a 0644 file makes it 0600 too', () => {
  const dir = tempDir();
  const previous = process.umask(0o022);
  try {
    const fresh = join(dir, 'fresh.json');
    writeFileAtomic(fresh, '{}\n');
    assert.equal(statSync(fresh).mode & 0o777, 0o600);
    const open = join(dir, 'open.json');
    writeFileSync(open, 'old\n', { mode: 0o644 });
    assert.equal(statSync(open).mode & 0o777, 0o644);
    writeFileAtomic(open, 'new\n');
    assert.equal(statSync(open).mode & 0o777, 0o600);
    writeFileAtomic(join(dir, 'ports.json'), '{}\n', 0o644);
    assert.equal(statSync(join(dir, 'ports.json')).mode & 0o777, 0o644, 'a caller may ask for a readable file');
  } finally {
    process.umask(previous);
  }
});

test('the content is replaced whole, a longer one by a shorter one, and missing directories are made', () => {
  const file = join(tempDir(), 'deeper', 'state.json');
  writeFileAtomic(file, 'a much longer first content\n');
  writeFileAtomic(file, Buffer.from('short\n'));
  assert.equal(readFileSync(file, 'utf8'), 'short\n');
  assert.deepEqual(readdirSync(join(file, '..')), ['state.json'], 'no temporary file stays');
});

test('when the rename fails the error is thrown and no temporary file is left', () => {
  const dir = tempDir();
  const target = join(dir, 'target');
  mkdirSync(target); // rename(2) of a file over a directory fails (EISDIR)
  assert.throws(() => writeFileAtomic(target, 'data\n'), (error: NodeJS.ErrnoException) => error.code === 'EISDIR');
  assert.deepEqual(readdirSync(dir), ['target']);
});

test('writers in four processes at once never leave a torn file, seen by a reader all along or at the end', async () => {
  const dir = tempDir();
  const file = join(dir, 'shared.json');
  const writes = 25;
  const size = 256 * 1024;
  writeFileAtomic(file, 'x'.repeat(size));
  // Each writer writes its own letter, `size` times, `writes` times over.
  const writers = ['a', 'b', 'c', 'd'].map((letter) => {
    const script = `import { writeFileAtomic } from ${JSON.stringify(WRITER)};
      for (let i = 0; i < ${writes}; i++) writeFileAtomic(${JSON.stringify(file)}, ${JSON.stringify(letter)}.repeat(${size}));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
    return once(child, 'exit') as Promise<[number | null]>;
  });
  let running = true;
  const finished = Promise.all(writers).finally(() => (running = false));
  const whole = (content: string) => content.length === size && content === content[0]!.repeat(size);
  let reads = 0;
  const deadline = Date.now() + 60_000;
  while (running && Date.now() < deadline) {
    const content = readFileSync(file, 'utf8');
    assert.ok(whole(content), `read ${reads}: a torn file (${content.length} bytes, starting ${JSON.stringify(content.slice(0, 8))})`);
    reads++;
    await new Promise((r) => setImmediate(r));
  }
  const codes = await finished;
  assert.deepEqual(codes.map(([code]) => code), [0, 0, 0, 0]);
  assert.ok(whole(readFileSync(file, 'utf8')));
  assert.deepEqual(readdirSync(dir), ['shared.json'], 'no temporary file stays');
});
