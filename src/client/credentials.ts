// Where the `ocp` client keeps its sign-in: the cloud URL, the email and a
// refresh token, in a 0600 file (default ~/.config/ocp/credentials.json,
// or $OCP_CREDENTIALS). Access tokens are never written down.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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
  writeFileSync(`${file}.tmp`, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}
