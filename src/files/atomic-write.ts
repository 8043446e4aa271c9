// Writes that a crash cannot tear: the data goes to a temporary file of its
// own beside the target, is fsynced, renamed over the target (rename(2) is
// atomic within a file system) and the directory is fsynced, so a kill -9 or a
// power loss leaves either the old content or the new, never a mix. Every
// write has its own temporary name, so writers in several processes (or
// threads) never write into one another's file; the last rename wins whole.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Replaces `file` with `data` atomically. The file gets `mode` (less the
 * umask; 0600 by default: private). Missing parent directories are created;
 * a caller that needs them private creates them itself first. On failure the
 * target is untouched and no temporary file is left behind.
 */
export function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', mode);
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  fsyncDirectory(dirname(file));
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** fsync of a file or directory: its content (or its entries) are on disk when this resolves. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
