// What the connector last found, for `ocp connector status`: the connector
// is a process of its own, so after every sync it writes DATA/status.json
// (0600, atomically) and the command reads it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';

export interface ConnectorStatus {
  /** The CUPS server it reads (host:port). */
  cups: string;
  /** ok; no-queues (CUPS answers but has none); cups-unreachable; cloud-error (CUPS read, the cloud refused). */
  state: 'ok' | 'no-queues' | 'cups-unreachable' | 'cloud-error';
  /** The error, when the last sync failed. */
  error?: string;
  /** Cloud printers it serves (queue name → printer id). */
  printers: Record<string, string>;
  /** When it was written (ms since the epoch). */
  checkedAt: number;
}

export function statusPath(dataDir: string): string {
  return join(dataDir, 'status.json');
}

export function writeStatus(dataDir: string, status: ConnectorStatus): void {
  writeFileAtomic(statusPath(dataDir), JSON.stringify(status, null, 2) + '\n');
}

/** The last status the connector in `dataDir` wrote, or undefined if it has not synced yet. */
export function readStatus(dataDir: string): ConnectorStatus | undefined {
  try {
    return JSON.parse(readFileSync(statusPath(dataDir), 'utf8')) as ConnectorStatus;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
