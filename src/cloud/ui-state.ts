// `uiState` (GCP 2.0, `extra_fields=uiState`): what a person is shown about
// a printer or a job, derived from the device's CDS semantic state (GCP §f)
// and the job's PrintJobState. Pure functions: no store, no clock.
import type { JobState } from '../protocol/job-state.ts';

type Json = Record<string, unknown>;

export type Severity = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH';

export interface PrinterUiState {
  summary: 'IDLE' | 'PROCESSING' | 'STOPPED' | 'OFFLINE';
  severity: Severity;
  num_issues: number;
  /** The most severe problem in a person's words; a healthy printer has none. */
  caption?: string;
}

export interface JobUiState {
  summary: 'DRAFT' | 'HELD' | 'QUEUED' | 'PAUSED' | 'IN_PROGRESS' | 'STOPPED' | 'DONE' | 'CANCELLED' | 'ABORTED' | 'EXPIRED';
  /** "Pages printed: N", once the job has started. */
  progress?: string;
  /** Why a STOPPED or ABORTED job is: "tray", "jam", "toner", …. */
  cause?: string;
}

interface Issue {
  severity: Exclude<Severity, 'NONE'>;
  caption: string;
}

const RANK: Record<Severity, number> = { NONE: 0, LOW: 1, MEDIUM: 2, HIGH: 3 };

/** A marker at or below this level (percent) is reported low. */
export const LOW_MARKER_PERCENT = 10;

/** CDS unit states (GCP §f) that are problems, per unit list, with their captions. */
const UNIT_ISSUES: Array<[list: string, captions: Record<string, string>]> = [
  ['media_path_state', { MEDIA_JAM: 'paper jam', FAILURE: 'paper path failure' }],
  ['cover_state', { OPEN: 'door/cover is open', FAILURE: 'door/cover failure' }],
  ['input_tray_state', { OPEN: 'input tray is open', EMPTY: 'input tray is empty', FAILURE: 'input tray failure', OFF: 'input tray is off' }],
  ['marker_state', { REMOVED: 'toner is removed', EXHAUSTED: 'toner is empty', FAILURE: 'toner failure' }],
  ['output_bin_state', { FULL: 'output bin is full', OPEN: 'output bin is open', FAILURE: 'output bin failure', OFF: 'output bin is off' }],
];

/** vendor_state item severities (CDS `ERROR|WARNING|INFO`). */
const VENDOR_SEVERITY: Record<string, Issue['severity']> = { ERROR: 'HIGH', WARNING: 'MEDIUM', INFO: 'LOW' };

function items(printer: Json, list: string): Json[] {
  const section = printer[list] as { item?: unknown } | undefined;
  return Array.isArray(section?.item) ? (section.item.filter((item) => typeof item === 'object' && item !== null) as Json[]) : [];
}

function lowMarker(item: Json): boolean {
  const level = Number(item.level_percent);
  return item.state === 'OK' && item.level_percent !== undefined && Number.isFinite(level) && level <= LOW_MARKER_PERCENT;
}

/**
 * Every problem the state names: each unit in a problem state, a low marker,
 * and each vendor_state item that is not one of those already (a device may
 * describe a jam both as media_path_state and as a vendor_state item).
 */
export function printerIssues(cds: Json | undefined): Issue[] {
  const printer = (cds?.printer ?? {}) as Json;
  const issues: Issue[] = [];
  for (const [list, captions] of UNIT_ISSUES) {
    for (const item of items(printer, list)) {
      const caption = captions[String(item.state)];
      if (caption) issues.push({ severity: 'HIGH', caption });
      else if (list === 'marker_state' && lowMarker(item)) issues.push({ severity: 'MEDIUM', caption: 'toner is low' });
    }
  }
  const known = new Set(issues.map((issue) => issue.caption));
  for (const item of items(printer, 'vendor_state')) {
    const severity = VENDOR_SEVERITY[String(item.state)];
    const caption = typeof item.description === 'string' && item.description.trim() ? lowerFirst(item.description.trim()) : undefined;
    if (!severity || !caption || known.has(caption)) continue;
    known.add(caption);
    issues.push({ severity, caption });
  }
  return issues;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

const OFFLINE_CAPTION = 'printer is offline';

const PRINTER_SUMMARIES = ['IDLE', 'PROCESSING', 'STOPPED'] as const;

/** A printer's uiState from its CDS and whether its device is connected now. */
export function printerUiState(cds: Json | undefined, offline: boolean): PrinterUiState {
  const issues = printerIssues(cds);
  const reported = (cds?.printer as Json | undefined)?.state;
  const state = PRINTER_SUMMARIES.find((summary) => summary === reported) ?? 'IDLE';
  if (offline && !issues.some((issue) => issue.caption === OFFLINE_CAPTION)) issues.unshift({ severity: 'HIGH', caption: OFFLINE_CAPTION });
  let worst: Issue | undefined;
  for (const issue of issues) if (!worst || RANK[issue.severity] > RANK[worst.severity]) worst = issue;
  const view: PrinterUiState = { summary: offline ? 'OFFLINE' : state, severity: worst?.severity ?? 'NONE', num_issues: issues.length };
  if (worst) view.caption = worst.caption;
  return view;
}

/** JobState causes (GCP §d) in a word or two. */
const CAUSES: Record<string, Record<string, string>> = {
  device_state_cause: { INPUT_TRAY: 'tray', MARKER: 'toner', MEDIA_PATH: 'jam', MEDIA_SIZE: 'media size', MEDIA_TYPE: 'media type', OTHER: 'printer error' },
  device_action_cause: { DOWNLOAD_FAILURE: 'download failure', INVALID_TICKET: 'invalid ticket', PRINT_FAILURE: 'print failure', OTHER: 'printer error' },
  user_action_cause: { CANCELLED: 'cancelled', PAUSED: 'paused', OTHER: 'user action' },
  service_action_cause: {
    CONVERSION_ERROR: 'conversion failed', CONVERSION_FILE_TOO_BIG: 'file too big', CONVERSION_UNSUPPORTED_CONTENT_TYPE: 'unsupported document type',
    EXPIRATION: 'expired', PRINTER_DELETED: 'printer deleted', DELIVERY_FAILURE: 'delivery failure', COMMUNICATION_WITH_DEVICE_ERROR: 'printer unreachable',
  },
};

export function jobCause(state: JobState): string | undefined {
  for (const [key, words] of Object.entries(CAUSES)) {
    const cause = state[key as keyof JobState] as { error_code?: string; action_code?: string } | undefined;
    const code = cause?.error_code ?? cause?.action_code;
    if (code) return words[code] ?? 'other';
  }
  return undefined;
}

const STARTED = new Set(['IN_PROGRESS', 'STOPPED', 'DONE', 'ABORTED']);

/**
 * Why a printer holds its queued jobs back, in a person's words: it is
 * offline, or stopped with this caption (paper jam, input tray is empty…);
 * undefined when it would take them.
 */
export function waitingCause(printer: PrinterUiState): string | undefined {
  if (printer.summary === 'OFFLINE') return OFFLINE_CAPTION;
  if (printer.summary === 'STOPPED') return printer.caption ?? 'printer is stopped';
  return undefined;
}

/**
 * A job's uiState from its PrintJobState (the state its device reported last,
 * with the pages printed). A QUEUED job whose printer holds it back says why
 * (`waitingFor`, from waitingCause) in `cause`.
 */
export function jobUiState(state: JobState, pagesPrinted: number, waitingFor?: string): JobUiState {
  let summary: JobUiState['summary'] = state.type;
  if (state.type === 'ABORTED' && state.user_action_cause?.action_code === 'CANCELLED') summary = 'CANCELLED';
  else if (state.type === 'ABORTED' && state.service_action_cause?.error_code === 'EXPIRATION') summary = 'EXPIRED';
  else if (state.type === 'HELD' && state.user_action_cause?.action_code === 'PAUSED') summary = 'PAUSED';
  const view: JobUiState = { summary };
  if (STARTED.has(state.type) || pagesPrinted > 0) view.progress = `Pages printed: ${pagesPrinted}`;
  if (state.type === 'STOPPED' || (state.type === 'ABORTED' && summary === 'ABORTED')) {
    const cause = jobCause(state);
    if (cause) view.cause = cause;
  } else if (state.type === 'QUEUED' && waitingFor) {
    view.cause = waitingFor;
  }
  return view;
}
