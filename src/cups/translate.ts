// Translation between CUPS/IPP and the cloud's shapes [GCP
// §d, §f]: IPP printer attributes → CDD (capabilities) and CDS (state), a CJT
// ticket → IPP job attributes, IPP job state → cloud job state.
import type { IppAttributes } from './client.ts';
import type { IppValue } from 'ipp';
import type { JobState } from '../protocol/job-state.ts';

type Json = Record<string, unknown>;

const list = (value: IppValue | undefined): IppValue[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const strings = (value: IppValue | undefined): string[] => list(value).map(String);

/** The content types the original CUPS connector offered, in its order (§f). */
const OFFERED_TYPES = ['application/pdf', 'application/postscript', 'image/gif', 'image/jp2', 'image/jpeg', 'image/png', 'image/tiff', 'text/plain', 'text/rtf'];

const SIDES: Record<string, string> = { 'one-sided': 'NO_DUPLEX', 'two-sided-long-edge': 'LONG_EDGE', 'two-sided-short-edge': 'SHORT_EDGE' };
const COLOR: Record<string, string> = { color: 'STANDARD_COLOR', monochrome: 'STANDARD_MONOCHROME', auto: 'AUTO' };
const ORIENTATION: Record<string, string> = { portrait: 'PORTRAIT', landscape: 'LANDSCAPE', '3': 'PORTRAIT', '4': 'LANDSCAPE' };

/** A PWG 5101.1 self-describing media name, e.g. iso_a4_210x297mm, na_letter_8.5x11in. */
function mediaOption(keyword: string, isDefault: boolean): Json | undefined {
  // custom_min_* / custom_max_* are the bounds of custom sizes, not sizes.
  if (/^custom_m(in|ax)_/.test(keyword)) return undefined;
  const match = /^([a-z0-9]+)_([a-z0-9.-]+)_([\d.]+)x([\d.]+)(mm|in)$/.exec(keyword);
  if (!match) return undefined;
  const [, klass, size, width, height, unit] = match;
  const microns = (n: string) => Math.round(Number(n) * (unit === 'mm' ? 1000 : 25400));
  const name = `${klass}_${size}`.toUpperCase().replace(/[.-]/g, '_');
  return { name, width_microns: microns(width!), height_microns: microns(height!), vendor_id: keyword, ...(isDefault ? { is_default: true } : {}) };
}

function options<T extends string>(supported: string[], map: Record<string, T>, fallbackDefault: string | undefined, build: (type: T, vendor: string) => Json): Json[] {
  return supported
    .filter((keyword) => map[keyword])
    .map((keyword) => ({ ...build(map[keyword]!, keyword), ...(keyword === fallbackDefault ? { is_default: true } : {}) }));
}

/** CDD `{version, printer}` for a CUPS queue. */
export function capabilitiesOf(attributes: IppAttributes): Json {
  const formats = new Set(strings(attributes['document-format-supported']));
  const printer: Json = {
    supported_content_type: OFFERED_TYPES.filter((type) => formats.has(type)).map((content_type) => ({ content_type })),
    copies: { default: 1, max: Number(list(attributes['copies-supported'])[1] ?? 1) || 1 },
    collate: { default: true },
    reverse_order: { default: false },
    fit_to_page: { option: [{ type: 'NO_FITTING', is_default: true }, { type: 'FIT_TO_PAGE' }] },
  };
  const duplex = options(strings(attributes['sides-supported']), SIDES, String(attributes['sides-default'] ?? 'one-sided'), (type) => ({ type }));
  if (duplex.length) printer.duplex = { option: duplex };
  const color = options(strings(attributes['print-color-mode-supported']), COLOR, String(attributes['print-color-mode-default'] ?? ''), (type, vendor) => ({ type, vendor_id: vendor }));
  if (color.length) printer.color = { option: color };
  const orientation = options(strings(attributes['orientation-requested-supported']), ORIENTATION, undefined, (type) => ({ type }));
  if (orientation.length) printer.page_orientation = { option: orientation };
  const defaultMedia = String(attributes['media-default'] ?? '');
  const media = strings(attributes['media-supported']).map((m) => mediaOption(m, m === defaultMedia)).filter((m): m is Json => m !== undefined);
  if (media.length) printer.media_size = { option: media };
  return { version: '1.0', printer };
}

const PRINTER_STATES: Record<string, string> = { '3': 'IDLE', '4': 'PROCESSING', '5': 'STOPPED', idle: 'IDLE', processing: 'PROCESSING', stopped: 'STOPPED' };

/** CDS `{version, printer}`: state plus one vendor_state item per printer-state-reason (§f). */
export function semanticStateOf(attributes: IppAttributes): Json {
  const reasons = strings(attributes['printer-state-reasons']).filter((r) => r !== 'none');
  let state = PRINTER_STATES[String(attributes['printer-state'])] ?? 'IDLE';
  if (reasons.some((r) => r.startsWith('offline'))) state = 'STOPPED';
  const severity = (reason: string) => (reason.endsWith('-warning') ? 'WARNING' : reason.endsWith('-report') ? 'INFO' : 'ERROR');
  const printer: Json = { state };
  if (reasons.length) printer.vendor_state = { item: reasons.map((r) => ({ state: severity(r), description: r })) };
  return { version: '1.0', printer };
}

const SIDES_BY_DUPLEX: Record<string, string> = { NO_DUPLEX: 'one-sided', LONG_EDGE: 'two-sided-long-edge', SHORT_EDGE: 'two-sided-short-edge' };
const COLOR_BY_TYPE: Record<string, string> = { STANDARD_COLOR: 'color', STANDARD_MONOCHROME: 'monochrome', AUTO: 'auto' };

/** IPP job-template attributes for a CJT ticket. */
export function jobAttributesOf(ticket: unknown): IppAttributes {
  const print = ((ticket as { print?: Record<string, Record<string, unknown>> } | undefined)?.print ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const attributes: IppAttributes = {};
  const copies = Number(print.copies?.copies);
  if (Number.isInteger(copies) && copies > 1) attributes.copies = copies;
  const sides = SIDES_BY_DUPLEX[String(print.duplex?.type)];
  if (sides) attributes.sides = sides;
  // vendor_id carries the CUPS keyword end to end; type alone is the fallback (clients may omit vendor_id).
  const color = (print.color?.vendor_id as string | undefined) ?? COLOR_BY_TYPE[String(print.color?.type)];
  if (color) attributes['print-color-mode'] = color;
  if (typeof print.media_size?.vendor_id === 'string') attributes.media = print.media_size.vendor_id;
  const orientation = String(print.page_orientation?.type);
  if (orientation === 'PORTRAIT') attributes['orientation-requested'] = 3;
  if (orientation === 'LANDSCAPE') attributes['orientation-requested'] = 4;
  return attributes;
}

/** The cloud JobState for an IPP job-state (RFC 8011 §5.3.7; GCP §d item 8). */
export function cloudJobStateOf(ippState: number): JobState {
  switch (ippState) {
    case 3:
    case 4:
    case 5:
      return { type: 'IN_PROGRESS' };
    case 6:
      return { type: 'STOPPED', device_action_cause: { error_code: 'OTHER' } };
    case 7:
      return { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } };
    case 9:
      return { type: 'DONE' };
    default:
      return { type: 'ABORTED', device_action_cause: { error_code: 'PRINT_FAILURE' } };
  }
}
