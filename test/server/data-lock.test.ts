// Which lock files a starting server takes over (their process is gone) and
// which it respects, written as a crashed server would have left them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DataDirInUse, lockDataDir, type LockHolder } from '../../src/server/data-lock.ts';
import { tempDir } from '../helpers/server.ts';

const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const myStart = readFileSync(`/proc/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]!;

function withLockFile(holder: Partial<LockHolder>, check: (dataDir: string) => void): void {
  const dataDir = tempDir();
  try {
    writeFileSync(join(dataDir, 'server.lock'), JSON.stringify({ pid: process.pid, host: hostname(), boot, start: myStart, since: '2026-12-06T00:00:00.000Z', ...holder }));
    check(dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const takesOver = (dataDir: string) => lockDataDir(dataDir).release();
const refuses = (dataDir: string) => assert.throws(() => lockDataDir(dataDir), DataDirInUse);

test('a live process keeps its lock; the same pid with another start time (a reused pid) does not', () => {
  withLockFile({}, refuses);
  withLockFile({ start: String(Number(myStart) - 1) }, takesOver);
});

test('a lock from another container on this machine (other host name, same boot) is judged by its process', () => {
  withLockFile({ host: 'old-container-id', pid: 1, start: '99999999999' }, takesOver); // its pid 1, not ours
  withLockFile({ host: 'old-container-id' }, refuses);
});

test('a lock from before a reboot is taken over; one from another machine is kept, with the way out in the message', () => {
  withLockFile({ boot: 'another-boot' }, takesOver);
  withLockFile({ host: 'other-machine', boot: 'another-boot' }, (dataDir) =>
    assert.throws(() => lockDataDir(dataDir), (error: Error) => error instanceof DataDirInUse && error.message.includes(`If no server runs on other-machine any more, remove ${join(dataDir, 'server.lock')}.`)),
  );
});
