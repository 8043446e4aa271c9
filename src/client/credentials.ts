// Where the `ocp` client keeps its sign-in: the cloud URL, the email and a
// refresh token, in a 0600 file (default ~/.config/ocp/credentials.json,
// or $OCP_CREDENTIALS). Access tokens are never written down.
//
// The refresh token works once: each command that refreshes it saves the new
// one. Commands run at once take turns through a lock file beside it, each
// reading the token the one before saved, since the server refuses (and, past
// a few seconds, revokes the sign-in for) a token presented twice.
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface SavedCredentials {
  cloud: string;
  email: string;
  refreshToken: string;
}

export function credentialsPath(): string {
  return process.env.OCP_CREDENTIALS ?? join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'ocp', 'credentials.json');
}

export function loadCredentials(): SavedCredentials | undefined {
  try {
    return JSON.parse(readFileSync(credentialsPath(), 'utf8')) as SavedCredentials;
  } catch {
    return undefined;
  }
}

export function saveCredentials(credentials: SavedCredentials): void {
  const file = credentialsPath();
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  renameSync(temporary, file);
}

/** A lock older than this was left by a command that died holding it. */
const STALE_LOCK_MS = 30_000;
const LOCK_RETRY_MS = 25;

/** Runs `work` while this process holds the credentials' lock file. */
export async function withCredentialsLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = `${credentialsPath()}.lock`;
  mkdirSync(dirname(lock), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (lockAgeMs(lock) > STALE_LOCK_MS) unlinkIfPresent(lock);
    else await sleep(LOCK_RETRY_MS);
  }
  try {
    return await work();
  } finally {
    unlinkIfPresent(lock);
  }
}

function lockAgeMs(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0; // released meanwhile: try again
  }
}

function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
