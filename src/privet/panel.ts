// The printer's "physical" front panel: the buttons and sensors a real
// printer has. Its state decides the device state (Privet §4.2.2
// device_state, CDS semantic_state) and why jobs stop (JobState causes).
import { EventEmitter } from 'node:events';
import type { JobState } from '../protocol/job-state.ts';

export interface PanelState {
  /** false = the user pressed "offline": the printer accepts nothing until back online. */
  online: boolean;
  paper: 'ok' | 'empty';
  /** The input tray pulled out (CDS input_tray_state OPEN), distinct from an empty one. */
  tray: 'closed' | 'open';
  jam: boolean;
  /** The door/cover (CDS cover_state). */
  cover: 'closed' | 'open';
  /** Toner level in percent; 0 stops the printer (EXHAUSTED), 10 or less warns (low). */
  toner: number;
  /** The toner cartridge taken out (CDS marker_state REMOVED), distinct from an empty one. */
  cartridge: 'installed' | 'removed';
}

export const INITIAL_PANEL: PanelState = { online: true, paper: 'ok', tray: 'closed', jam: false, cover: 'closed', toner: 100, cartridge: 'installed' };
const LOW_TONER = 10;

/** The two-valued controls and their values. */
const CHOICES = {
  paper: ['ok', 'empty'],
  tray: ['closed', 'open'],
  cover: ['closed', 'open'],
  cartridge: ['installed', 'removed'],
} as const;

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
      case 'tray':
      case 'cover':
      case 'cartridge': {
        const choices: readonly string[] = CHOICES[key];
        if (typeof value !== 'string' || !choices.includes(value)) throw new PanelInputError(`${key} must be ${choices.map((c) => `"${c}"`).join(' or ')}`);
        (change as Record<string, unknown>)[key] = value;
        break;
      }
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

  /** Every fault that stops the printer, most urgent first (the first one is what a stopped job shows). */
  faults(): StopReason[] {
    const s = this.state;
    const faults: StopReason[] = [];
    if (!s.online) faults.push({ description: 'Printer is offline', cause: 'OTHER' });
    if (s.jam) faults.push({ description: 'Paper jam', cause: 'MEDIA_PATH' });
    if (s.cover === 'open') faults.push({ description: 'Door/cover is open', cause: 'OTHER' });
    if (s.tray === 'open') faults.push({ description: 'Input tray is open', cause: 'INPUT_TRAY' });
    else if (s.paper === 'empty') faults.push({ description: 'Input tray is empty', cause: 'INPUT_TRAY' });
    if (s.cartridge === 'removed') faults.push({ description: 'Toner is removed', cause: 'MARKER' });
    else if (s.toner === 0) faults.push({ description: 'Toner is empty', cause: 'MARKER' });
    return faults;
  }

  /** Why the printer cannot print right now (the most urgent fault); undefined when it can. */
  stopReason(): StopReason | undefined {
    return this.faults()[0];
  }

  /**
   * CDS printer section (GCP §f): each unit's own state, and
   * a vendor_state item per fault (ERROR) or warning (toner low).
   */
  semanticState(processing: boolean): Record<string, unknown> {
    const s = this.state;
    const faults = this.faults();
    const trayState = s.tray === 'open' ? 'OPEN' : s.paper === 'empty' ? 'EMPTY' : 'OK';
    const tonerState = s.cartridge === 'removed' ? 'REMOVED' : s.toner === 0 ? 'EXHAUSTED' : 'OK';
    const printer: Record<string, unknown> = {
      state: faults.length ? 'STOPPED' : processing ? 'PROCESSING' : 'IDLE',
      input_tray_state: { item: [{ vendor_id: 'tray1', state: trayState, level_percent: s.paper === 'empty' ? 0 : 100 }] },
      marker_state: { item: [{ vendor_id: 'toner', state: tonerState, ...(s.cartridge === 'removed' ? {} : { level_percent: s.toner }) }] },
      cover_state: { item: [{ vendor_id: 'cover', state: s.cover === 'open' ? 'OPEN' : 'OK' }] },
      media_path_state: { item: [{ vendor_id: 'path', state: s.jam ? 'MEDIA_JAM' : 'OK' }] },
    };
    const vendor: Array<Record<string, unknown>> = faults.map((fault) => ({ state: 'ERROR', description: fault.description }));
    if (s.cartridge === 'installed' && s.toner > 0 && s.toner <= LOW_TONER) vendor.push({ state: 'WARNING', description: 'Toner is low' });
    if (vendor.length) printer.vendor_state = { item: vendor };
    return printer;
  }
}
