// Where the `ocp` client keeps its sign-in: the cloud URL, the email and a
// refresh token, in a 0600 file (default ~/.config/ocp/credentials.json,
// or $OCP_CREDENTIALS). Access tokens are never written down.
//
// The refresh token works once: each command that refreshes it saves the new
// one. Commands run at once take turns through a lock file beside it, each
// reading the token the one before saved, since the server refuses (and, past
// ten seconds, revokes the sign-in for) a token presented twice.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic } from '../files/atomic-write.ts';
import type { SharedRefreshToken } from './cloudprint-api.ts';

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
  writeFileAtomic(file, JSON.stringify(credentials, null, 2) + '\n');
}

/** Deletes the saved login; false when there was none. */
export function forgetCredentials(): boolean {
  try {
    unlinkSync(credentialsPath());
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * `login`'s refresh token as the commands share it: `latest` is the token
 * saved last, and `save` stores a rotated one, both only while the file still
 * holds the same login (a concurrent `ocp login` may have replaced it).
 */
export function sharedLogin(login: SavedCredentials): SharedRefreshToken & { save(refreshToken: string): void } {
  const current = () => {
    const saved = loadCredentials();
    return saved?.cloud === login.cloud && saved.email === login.email ? saved : undefined;
  };
  return {
    exclusive: withCredentialsLock,
    latest: () => current()?.refreshToken,
    save: (refreshToken) => {
      if (current()) saveCredentials({ ...login, refreshToken });
    },
  };
}

/**
 * A lock older than this was left by a command that died holding it; well
 * above the 30 s a token request may take.
 */
const STALE_LOCK_MS = 120_000;
const LOCK_RETRY_MS = 25;

/** Runs `work` while this process holds the credentials' lock file. */
export async function withCredentialsLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = `${credentialsPath()}.lock`;
  const owner = randomBytes(8).toString('hex');
  mkdirSync(dirname(lock), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      writeFileSync(lock, owner, { flag: 'wx', mode: 0o600 });
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
    // Only our own: a lock broken as stale may since be another command's.
    if (readIfPresent(lock) === owner) unlinkIfPresent(lock);
  }
}

function lockAgeMs(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0; // released meanwhile: try again
  }
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}
