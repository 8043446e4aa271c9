// The printer's durable state: identity, cloud registration, local settings
// and finished-job history, in one JSON file under the data directory.
// Writes are atomic (src/files/atomic-write.ts), so a kill -9 leaves either
// the old or the new state, never a torn one.
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { DEFAULT_LOCAL_SETTINGS, applySettings, type LocalSettings } from './settings.ts';
import type { JobRecord } from './jobs.ts';

export interface CloudRegistration {
  printerId: string;
  /** Robot account JID (local@domain) used on the XMPP channel. */
  xmppJid: string;
  refreshToken: string;
  /** The user who claimed the printer. */
  owner: string;
}

export interface PrinterState {
  /** Privet §4.2.2 serial_number: a UUID, stable for the life of the device. */
  serial: string;
  registration: CloudRegistration | null;
  localSettings: LocalSettings;
  /** Finished jobs, newest last (kept across restarts for jobstate). */
  history: JobRecord[];
}

export class StateFile {
  readonly file: string;
  state: PrinterState;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'state.json');
    this.state = this.load();
  }

  private load(): PrinterState {
    let saved: Partial<PrinterState> = {};
    try {
      saved = JSON.parse(readFileSync(this.file, 'utf8')) as Partial<PrinterState>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${this.file}: ${(error as Error).message}`);
    }
    return {
      serial: saved.serial ?? randomUUID(),
      registration: saved.registration ?? null,
      localSettings: applySettings(DEFAULT_LOCAL_SETTINGS, saved.localSettings as unknown as Record<string, unknown>),
      history: Array.isArray(saved.history) ? saved.history : [],
    };
  }

  update(change: (state: PrinterState) => void): void {
    change(this.state);
    writeFileAtomic(this.file, JSON.stringify(this.state, null, 2) + '\n');
  }

  /** Privet §6.1: a factory reset clears the credentials and returns to defaults; the serial stays. */
  factoryReset(): void {
    this.update((state) => {
      state.registration = null;
      state.localSettings = { ...DEFAULT_LOCAL_SETTINGS };
      state.history = [];
    });
  }
}
