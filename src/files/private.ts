// The data directory holds the database, print documents, keys and tokens:
// only the server's own user may read it. Directories are created 0700 and
// files 0600; an existing one that other users can reach is tightened, with a
// warning, or, where that fails (another owner), reported.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import type { Logger } from '../log.ts';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Removes the group and other permission bits of `path` if it has any; no-op if it does not exist. */
function tighten(path: string, log: Logger | undefined): void {
  let mode: number;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((mode & 0o077) === 0) return;
  const tight = mode & 0o700;
  try {
    chmodSync(path, tight);
    log?.warn({ path, was: mode.toString(8), now: tight.toString(8) }, 'data path was readable by other users; permissions tightened');
  } catch (error) {
    log?.warn({ path, mode: mode.toString(8), err: (error as Error).message }, 'data path is readable by other users and could not be tightened');
  }
}

/** Creates `dir` (and missing parents) 0700, or tightens it if it exists. */
export function privateDir(dir: string, log?: Logger): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  tighten(dir, log);
}

/** Creates `file` empty with mode 0600 unless it exists; an existing one is tightened. */
export function privateFile(file: string, log?: Logger): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  tighten(file, log);
}

/** Tightens `file` if it exists (a file a library creates itself, such as SQLite's -wal and -shm). */
export function tightenIfPresent(file: string, log?: Logger): void {
  tighten(file, log);
}
