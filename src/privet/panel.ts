// The printer's "physical" front panel: the buttons and sensors a real
// printer has. Its state decides the device state (Privet §4.2.2
// device_state, CDS semantic_state) and why jobs stop (JobState causes).
import { EventEmitter } from 'node:events';
import type { JobState } from '../protocol/job-state.ts';

export interface PanelState {
  /** false = the user pressed "offline": the printer accepts nothing until back online. */
  online: boolean;
  paper: 'ok' | 'empty';
  jam: boolean;
  cover: 'closed' | 'open';
  /** Toner level in percent; 0 stops the printer. */
  toner: number;
}

export const INITIAL_PANEL: PanelState = { online: true, paper: 'ok', jam: false, cover: 'closed', toner: 100 };
const LOW_TONER = 10;

export class PanelInputError extends Error {}

/** Validates a (partial) POST /panel/state body. */
export function parsePanelChange(body: unknown): Partial<PanelState> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new PanelInputError('expected a JSON object');
  const input = body as Record<string, unknown>;
  const change: Partial<PanelState> = {};
  for (const key of Object.keys(input)) {
    const value = input[key];
    switch (key) {
      case 'online':
      case 'jam':
        if (typeof value !== 'boolean') throw new PanelInputError(`${key} must be true or false`);
        change[key] = value;
        break;
      case 'paper':
        if (value !== 'ok' && value !== 'empty') throw new PanelInputError('paper must be "ok" or "empty"');
        change.paper = value;
        break;
      case 'cover':
        if (value !== 'closed' && value !== 'open') throw new PanelInputError('cover must be "closed" or "open"');
        change.cover = value;
        break;
      case 'toner':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) throw new PanelInputError('toner must be an integer 0-100');
        change.toner = value;
        break;
      default:
        throw new PanelInputError(`unknown panel control "${key}"`);
    }
  }
  return change;
}

export interface StopReason {
  description: string;
  cause: NonNullable<JobState['device_state_cause']>['error_code'];
}

/** A registration request waiting for the user to press OK or Cancel (Privet §6.1). */
export interface PanelPrompt {
  kind: 'register';
  user: string;
}

export declare interface FrontPanel {
  on(event: 'change', listener: (state: PanelState) => void): this;
  on(event: 'confirm' | 'cancel', listener: () => void): this;
  on(event: 'prompt', listener: (prompt: PanelPrompt | undefined) => void): this;
}

export class FrontPanel extends EventEmitter {
  state: PanelState = { ...INITIAL_PANEL };
  prompt: PanelPrompt | undefined;

  set(change: Partial<PanelState>): void {
    this.state = { ...this.state, ...change };
    this.emit('change', this.state);
  }

  showPrompt(prompt: PanelPrompt | undefined): void {
    this.prompt = prompt;
    this.emit('prompt', prompt);
  }

  confirm(): void {
    this.emit('confirm');
  }

  cancel(): void {
    this.emit('cancel');
  }

  /** Why the printer cannot print right now, most urgent first; undefined when it can. */
  stopReason(): StopReason | undefined {
    const s = this.state;
    if (!s.online) return { description: 'Printer is offline', cause: 'OTHER' };
    if (s.jam) return { description: 'Paper jam', cause: 'MEDIA_PATH' };
    if (s.cover === 'open') return { description: 'Cover is open', cause: 'OTHER' };
    if (s.paper === 'empty') return { description: 'Out of paper', cause: 'INPUT_TRAY' };
    if (s.toner === 0) return { description: 'Out of toner', cause: 'MARKER' };
    return undefined;
  }

  /** CDS printer section (GCP §f). */
  semanticState(processing: boolean): Record<string, unknown> {
    const s = this.state;
    const stop = this.stopReason();
    const printer: Record<string, unknown> = {
      state: stop ? 'STOPPED' : processing ? 'PROCESSING' : 'IDLE',
      input_tray_state: { item: [{ vendor_id: 'tray1', state: s.paper === 'empty' ? 'EMPTY' : 'OK', level_percent: s.paper === 'empty' ? 0 : 100 }] },
      marker_state: { item: [{ vendor_id: 'toner', state: s.toner === 0 ? 'EXHAUSTED' : 'OK', level_percent: s.toner }] },
      cover_state: { item: [{ vendor_id: 'cover', state: s.cover === 'open' ? 'OPEN' : 'OK' }] },
      media_path_state: { item: [{ vendor_id: 'path', state: s.jam ? 'MEDIA_JAM' : 'OK' }] },
    };
    const vendor: Array<Record<string, unknown>> = [];
    if (stop) vendor.push({ state: 'ERROR', description: stop.description });
    if (s.toner > 0 && s.toner <= LOW_TONER) vendor.push({ state: 'WARNING', description: 'Toner low' });
    if (vendor.length) printer.vendor_state = { item: vendor };
    return printer;
  }
}
