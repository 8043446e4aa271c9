// Printer and job states in words (CDS §semantic_state, CJS job states).
const DEVICE_STATE = {
  INPUT_TRAY: 'a paper tray needs attention',
  MARKER: 'toner or ink needs attention',
  MEDIA_PATH: 'paper jam',
  MEDIA_SIZE: 'wrong paper size',
  MEDIA_TYPE: 'wrong paper type',
  OTHER: 'the printer needs attention',
};
const DEVICE_ACTION = { DOWNLOAD_FAILURE: 'the printer could not download the document', INVALID_TICKET: 'the printer refused the print settings', PRINT_FAILURE: 'printing failed', OTHER: 'the printer gave up' };
const USER_ACTION = { CANCELLED: 'cancelled', PAUSED: 'paused', OTHER: 'stopped by a user' };
const PATH_STATE = { MEDIA_JAM: 'paper jam' };
const TRAY_STATE = { EMPTY: 'out of paper', OPEN: 'tray open', OFF: 'tray off', FAILURE: 'tray failure' };
const MARKER_STATE = { EXHAUSTED: 'empty', REMOVED: 'missing', FAILURE: 'failed', LOW: 'low' };

export const STATE_LABEL = { IDLE: 'Idle', PROCESSING: 'Printing', STOPPED: 'Stopped' };

/** Why a printer is in its state, from its CDS semantic state: the device's own words, else its trays, paths, markers and covers. */
export function printerReasons(printerState = {}) {
  const vendor = (printerState.vendor_state?.item ?? []).filter((item) => item.description && item.state !== 'INFO').map((item) => item.description);
  if (vendor.length > 0) return [...new Set(vendor)];
  const reasons = [];
  for (const item of printerState.input_tray_state?.item ?? []) if (TRAY_STATE[item.state]) reasons.push(`${item.vendor_id ?? 'tray'}: ${TRAY_STATE[item.state]}`);
  for (const item of printerState.media_path_state?.item ?? []) if (PATH_STATE[item.state]) reasons.push(PATH_STATE[item.state]);
  for (const item of printerState.marker_state?.item ?? []) if (MARKER_STATE[item.state]) reasons.push(`${item.vendor_id ?? 'marker'}: ${MARKER_STATE[item.state]}`);
  for (const item of printerState.cover_state?.item ?? []) if (item.state === 'OPEN' || item.state === 'FAILURE') reasons.push(`${item.vendor_id ?? 'cover'} ${item.state.toLowerCase()}`);
  return [...new Set(reasons)];
}

/** Marker levels ("black 7%"). */
export function markerLevels(printerState = {}) {
  return (printerState.marker_state?.item ?? []).filter((m) => m.level_percent !== undefined).map((m) => `${m.vendor_id}: ${m.level_percent}%`);
}

export const JOB_LABEL = { DRAFT: 'Draft', HELD: 'Held', QUEUED: 'Queued', IN_PROGRESS: 'Printing', STOPPED: 'Stopped', DONE: 'Done', ABORTED: 'Aborted' };
export const FINAL = new Set(['DONE', 'ABORTED']);

export function jobState(job) {
  return job.semanticState?.state?.type ?? 'QUEUED';
}

/** Why a job waits, stopped or was aborted, in words. */
export function jobReason(job) {
  const state = job.semanticState?.state ?? {};
  if (state.user_action_cause) return USER_ACTION[state.user_action_cause.action_code] ?? 'stopped by a user';
  if (state.device_state_cause) return DEVICE_STATE[state.device_state_cause.error_code] ?? 'the printer needs attention';
  if (state.device_action_cause) return DEVICE_ACTION[state.device_action_cause.error_code] ?? 'the printer gave up';
  if (state.service_action_cause) return state.service_action_cause.error_code.toLowerCase().replaceAll('_', ' ');
  if (state.type === 'QUEUED') return 'waiting for the printer';
  return '';
}

const OPTION_LABELS = {
  NO_DUPLEX: 'One-sided', LONG_EDGE: 'Two-sided, long edge', SHORT_EDGE: 'Two-sided, short edge',
  STANDARD_MONOCHROME: 'Black and white', STANDARD_COLOR: 'Colour', CUSTOM_MONOCHROME: 'Black and white (custom)', CUSTOM_COLOR: 'Colour (custom)', AUTO: 'Automatic',
  PORTRAIT: 'Portrait', LANDSCAPE: 'Landscape',
  NO_FITTING: 'Actual size', FIT_TO_PAGE: 'Fit to page', GROW_TO_PAGE: 'Grow to page', SHRINK_TO_PAGE: 'Shrink to page', FILL_PAGE: 'Fill page',
};

/** A paper size in words: "A4 (210 × 297 mm)" from ISO_A4 and its microns. */
function mediaLabel(option) {
  const name = (option.name ?? '').replace(/^(ISO|NA|JIS|JPN|PRC|ROC|OM|OE)_/, '').replaceAll('_', ' ');
  const words = name.length <= 3 ? name : name.charAt(0) + name.slice(1).toLowerCase();
  const size = option.width_microns ? `${Math.round(option.width_microns / 1000)} × ${Math.round(option.height_microns / 1000)} mm` : '';
  return words && size ? `${words} (${size})` : words || size;
}

/** A CDD option in words (CDD §option: custom_display_name first). */
export function optionLabel(option) {
  if (option.custom_display_name || option.display_name) return option.custom_display_name || option.display_name;
  if (option.width_microns !== undefined || option.name) return OPTION_LABELS[option.type] ?? mediaLabel(option);
  return OPTION_LABELS[option.type] ?? option.type ?? option.value;
}
