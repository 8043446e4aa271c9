// Shapes of the cloud device documents [GCP §d, §f]: CDD
// (capabilities), CDS (semantic_state), CJT (ticket) and PrintJobState, and
// whether a ticket fits a printer's CDD. Unknown keys are allowed (the formats
// grew over time); known keys must have the right shape.
import { CloudError, type CloudErrorName } from './errors.ts';
import { CDD_ENUMS } from '../protocol/cdd.ts';
import { JOB_STATE_ENUMS, type JobState, type PrintJobStateDiff } from '../protocol/job-state.ts';

type Json = Record<string, unknown>;

class ShapeError extends Error {}

const ENUMS = { ...CDD_ENUMS, ...JOB_STATE_ENUMS } as const;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ShapeError(`${path} must be an object`);
  return value as Json;
}

function optionalObject(parent: Json, key: string, path: string): Json | undefined {
  return parent[key] === undefined ? undefined : object(parent[key], `${path}.${key}`);
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError(`${path} must be an array`);
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ShapeError(`${path} must be a string`);
  return value;
}

/** Int64 fields come with or without quotes ("SchizophrenicInt64", GCP §f). */
function int(value: unknown, path: string, min = -Infinity, max = Infinity): number {
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
    throw new ShapeError(`${path} must be a whole number${min > -Infinity ? ` ≥ ${min}` : ''}${max < Infinity ? ` and ≤ ${max}` : ''}`);
  }
  return number;
}

/** pages_printed is stored in a 32-bit integer column. */
const MAX_PAGES = 2 ** 31 - 1;

function oneOf(value: unknown, allowed: readonly string[], path: string): string {
  if (typeof value !== 'string' || !allowed.includes(value)) throw new ShapeError(`${path} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

function optional<T>(parent: Json, key: string, path: string, check: (value: unknown, path: string) => T): T | undefined {
  return parent[key] === undefined ? undefined : check(parent[key], `${path}.${key}`);
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new ShapeError(`${path} must be true or false`);
  return value;
}

/** Checks `section.option[]` with `check` applied to each option. */
function options(section: Json, key: string, path: string, check: (option: Json, path: string) => void): Json[] | undefined {
  const capability = optionalObject(section, key, path);
  if (!capability) return undefined;
  return array(capability.option, `${path}.${key}.option`).map((item, i) => {
    const option = object(item, `${path}.${key}.option[${i}]`);
    check(option, `${path}.${key}.option[${i}]`);
    return option;
  });
}

function run<T>(kind: CloudErrorName, what: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ShapeError) throw new CloudError(kind, `Invalid ${what}: ${error.message}`);
    throw error;
  }
}

/** CDD: `{"version":"1.0","printer":{...}}`. */
export function validateCdd(value: unknown): Json {
  return run('INVALID_CAPABILITIES', 'capabilities (CDD)', () => {
    const cdd = object(value, 'capabilities');
    optional(cdd, 'version', 'capabilities', string);
    const p = object(cdd.printer, 'capabilities.printer');
    const path = 'capabilities.printer';
    if (p.supported_content_type !== undefined) {
      array(p.supported_content_type, `${path}.supported_content_type`).forEach((item, i) => string(object(item, `${path}.supported_content_type[${i}]`).content_type, `${path}.supported_content_type[${i}].content_type`));
    }
    options(p, 'color', path, (o, at) => oneOf(o.type, ENUMS.colorType, `${at}.type`));
    options(p, 'duplex', path, (o, at) => oneOf(o.type, ENUMS.duplexType, `${at}.type`));
    options(p, 'page_orientation', path, (o, at) => oneOf(o.type, ENUMS.orientationType, `${at}.type`));
    options(p, 'margins', path, (o, at) => oneOf(o.type, ENUMS.marginsType, `${at}.type`));
    options(p, 'fit_to_page', path, (o, at) => oneOf(o.type, ENUMS.fitToPageType, `${at}.type`));
    options(p, 'dpi', path, (o, at) => {
      int(o.horizontal_dpi, `${at}.horizontal_dpi`, 1);
      int(o.vertical_dpi, `${at}.vertical_dpi`, 1);
    });
    options(p, 'media_size', path, (o, at) => {
      optional(o, 'name', at, string);
      optional(o, 'width_microns', at, (v, w) => int(v, w, 0));
      optional(o, 'height_microns', at, (v, w) => int(v, w, 0));
    });
    const copies = optionalObject(p, 'copies', path);
    if (copies) {
      optional(copies, 'default', `${path}.copies`, (v, w) => int(v, w, 1));
      optional(copies, 'max', `${path}.copies`, (v, w) => int(v, w, 1));
    }
    if (p.vendor_capability !== undefined) {
      array(p.vendor_capability, `${path}.vendor_capability`).forEach((item, i) => {
        const capability = object(item, `${path}.vendor_capability[${i}]`);
        string(capability.id, `${path}.vendor_capability[${i}].id`);
        oneOf(capability.type, ENUMS.vendorCapabilityType, `${path}.vendor_capability[${i}].type`);
      });
    }
    for (const key of ['page_range', 'collate', 'reverse_order', 'printing_speed', 'pwg_raster_config']) optionalObject(p, key, path);
    return cdd;
  });
}

/** CDS: `{"version":"1.0"|"","printer":{"state":...}}`; connectors send an empty version (GCP §a). */
export function validateCds(value: unknown): Json {
  return run('INVALID_STATE', 'semantic_state (CDS)', () => {
    const cds = object(value, 'semantic_state');
    optional(cds, 'version', 'semantic_state', string);
    optional(cds, 'cloud_connection_state', 'semantic_state', (v, at) => oneOf(v, ENUMS.connectionState, at));
    const printer = optionalObject(cds, 'printer', 'semantic_state');
    if (printer) optional(printer, 'state', 'semantic_state.printer', (v, at) => oneOf(v, ENUMS.printerState, at));
    return cds;
  });
}

/** CJT: `{"version":"1.0","print":{...}}`. */
export function validateTicket(value: unknown): Json {
  return run('INVALID_TICKET', 'ticket (CJT)', () => {
    const ticket = object(value, 'ticket');
    optional(ticket, 'version', 'ticket', string);
    const p = object(ticket.print, 'ticket.print');
    const path = 'ticket.print';
    const color = optionalObject(p, 'color', path);
    if (color) {
      // Only one of type/vendor_id is needed [LC issue 126; I#230].
      if (color.type === undefined && color.vendor_id === undefined) throw new ShapeError(`${path}.color needs type or vendor_id`);
      optional(color, 'type', `${path}.color`, (v, at) => oneOf(v, ENUMS.colorType, at));
    }
    const duplex = optionalObject(p, 'duplex', path);
    if (duplex) oneOf(duplex.type, ENUMS.duplexType, `${path}.duplex.type`);
    const orientation = optionalObject(p, 'page_orientation', path);
    if (orientation) oneOf(orientation.type, ENUMS.orientationType, `${path}.page_orientation.type`);
    const fit = optionalObject(p, 'fit_to_page', path);
    if (fit) oneOf(fit.type, ENUMS.fitToPageType, `${path}.fit_to_page.type`);
    const copies = optionalObject(p, 'copies', path);
    if (copies) int(copies.copies, `${path}.copies.copies`, 1);
    const dpi = optionalObject(p, 'dpi', path);
    if (dpi) {
      int(dpi.horizontal_dpi, `${path}.dpi.horizontal_dpi`, 1);
      int(dpi.vertical_dpi, `${path}.dpi.vertical_dpi`, 1);
    }
    const media = optionalObject(p, 'media_size', path);
    if (media) {
      optional(media, 'width_microns', `${path}.media_size`, (v, at) => int(v, at, 0));
      optional(media, 'height_microns', `${path}.media_size`, (v, at) => int(v, at, 0));
      optional(media, 'is_continuous_feed', `${path}.media_size`, bool);
      optional(media, 'vendor_id', `${path}.media_size`, string);
    }
    const margins = optionalObject(p, 'margins', path);
    if (margins) for (const side of ['top', 'right', 'bottom', 'left']) optional(margins, `${side}_microns`, `${path}.margins`, (v, at) => int(v, at, 0));
    const range = optionalObject(p, 'page_range', path);
    if (range) {
      array(range.interval, `${path}.page_range.interval`).forEach((item, i) => {
        const interval = object(item, `${path}.page_range.interval[${i}]`);
        const start = int(interval.start, `${path}.page_range.interval[${i}].start`, 1);
        const end = optional(interval, 'end', `${path}.page_range.interval[${i}]`, (v, at) => int(v, at, 1));
        if (end !== undefined && end < start) throw new ShapeError(`${path}.page_range.interval[${i}] ends before it starts`);
      });
    }
    const collate = optionalObject(p, 'collate', path);
    if (collate) bool(collate.collate, `${path}.collate.collate`);
    const reverse = optionalObject(p, 'reverse_order', path);
    if (reverse) bool(reverse.reverse_order, `${path}.reverse_order.reverse_order`);
    if (p.vendor_ticket_item !== undefined) {
      array(p.vendor_ticket_item, `${path}.vendor_ticket_item`).forEach((item, i) => {
        const entry = object(item, `${path}.vendor_ticket_item[${i}]`);
        string(entry.id, `${path}.vendor_ticket_item[${i}].id`);
        string(entry.value, `${path}.vendor_ticket_item[${i}].value`);
      });
    }
    return ticket;
  });
}

const SIZE_TOLERANCE_MICRONS = 1000;

/** Throws TICKET_NOT_SUPPORTED unless every option the ticket asks for is one the CDD offers. */
export function checkTicketFits(ticket: Json, cdd: Json): void {
  const p = ticket.print as Json;
  const caps = (cdd.printer ?? {}) as Json;
  const offered = (key: string) => (caps[key] as { option?: Json[] } | undefined)?.option;
  const refuse = (what: string) => {
    throw new CloudError('TICKET_NOT_SUPPORTED', `The printer does not support ${what}`);
  };
  const duplex = (p.duplex as Json | undefined)?.type as string | undefined;
  if (duplex) {
    const choices = offered('duplex')?.map((o) => o.type) ?? ['NO_DUPLEX'];
    if (!choices.includes(duplex)) refuse(`duplex ${duplex} (it offers ${choices.join(', ')})`);
  }
  const color = p.color as Json | undefined;
  const colors = offered('color');
  if (color && colors && !colors.some((o) => (color.type === undefined || o.type === color.type) && (color.vendor_id === undefined || o.vendor_id === undefined || o.vendor_id === color.vendor_id))) {
    refuse(`color ${String(color.type ?? color.vendor_id)}`);
  }
  for (const key of ['page_orientation', 'fit_to_page'] as const) {
    const type = (p[key] as Json | undefined)?.type as string | undefined;
    const choices = offered(key)?.map((o) => o.type);
    if (type && choices && !choices.includes(type)) refuse(`${key} ${type}`);
  }
  const dpi = p.dpi as Json | undefined;
  const dpis = offered('dpi');
  if (dpi && dpis && !dpis.some((o) => Number(o.horizontal_dpi) === Number(dpi.horizontal_dpi) && Number(o.vertical_dpi) === Number(dpi.vertical_dpi))) {
    refuse(`a resolution of ${String(dpi.horizontal_dpi)}x${String(dpi.vertical_dpi)} dpi`);
  }
  const media = p.media_size as Json | undefined;
  const sizes = offered('media_size');
  if (media && sizes) {
    const fits = sizes.some((o) =>
      (media.vendor_id !== undefined && o.vendor_id === media.vendor_id) ||
      (media.width_microns !== undefined &&
        Math.abs(Number(o.width_microns) - Number(media.width_microns)) <= SIZE_TOLERANCE_MICRONS &&
        Math.abs(Number(o.height_microns) - Number(media.height_microns)) <= SIZE_TOLERANCE_MICRONS));
    if (!fits) refuse(`media size ${String(media.vendor_id ?? `${String(media.width_microns)}x${String(media.height_microns)} microns`)}`);
  }
  const copies = (p.copies as Json | undefined)?.copies;
  if (copies !== undefined) {
    const capability = caps.copies as Json | undefined;
    const max = capability ? Number(capability.max ?? Infinity) : 1;
    if (Number(copies) > max) refuse(`${String(copies)} copies (at most ${max})`);
  }
  const vendorItems = p.vendor_ticket_item as Json[] | undefined;
  const vendorCaps = caps.vendor_capability as Json[] | undefined;
  for (const item of vendorItems ?? []) {
    if (!vendorCaps?.some((c) => c.id === item.id)) refuse(`the vendor option ${String(item.id)}`);
  }
}

/** Whether the printer's CDD lists `contentType` (or a matching wildcard); a CDD without the list accepts all. */
export function acceptsContentType(cdd: Json, contentType: string): boolean {
  const listed = ((cdd.printer as Json | undefined)?.supported_content_type as Json[] | undefined)?.map((t) => String(t.content_type));
  if (!listed?.length) return true;
  const [major] = contentType.split('/');
  return listed.some((t) => t === contentType || t === '*/*' || t === `${major}/*`);
}

const CAUSES = [
  ['user_action_cause', 'action_code', ENUMS.userAction],
  ['device_state_cause', 'error_code', ENUMS.deviceState],
  ['device_action_cause', 'error_code', ENUMS.deviceAction],
  ['service_action_cause', 'error_code', ENUMS.serviceAction],
] as const;

/** A JobState of the type and the causes it names, and nothing else it may carry (it is stored and shown to others). */
function jobState(value: unknown, path: string): JobState {
  const state = object(value, path);
  const result: Record<string, unknown> = { type: oneOf(state.type, ENUMS.jobStateType, `${path}.type`) };
  for (const [key, field, allowed] of CAUSES) {
    const cause = optionalObject(state, key, path);
    if (cause) result[key] = { [field]: oneOf(cause[field], allowed, `${path}.${key}.${field}`) };
  }
  // Privet §5.2 note: an ABORTED state must say why.
  if (result.type === 'ABORTED' && Object.keys(result).length === 1) throw new ShapeError(`${path}: an ABORTED state needs a cause (user_action_cause, device_state_cause, device_action_cause or service_action_cause)`);
  return result as unknown as JobState;
}

/** The `semantic_state_diff` of `control`: `{"state":{...}?,"pages_printed":int?}`. */
export function validateStateDiff(value: unknown): PrintJobStateDiff {
  return run('INVALID_STATE', 'semantic_state_diff', () => {
    const diff = object(value, 'semantic_state_diff');
    const result: PrintJobStateDiff = {};
    if (diff.state !== undefined) result.state = jobState(diff.state, 'semantic_state_diff.state');
    if (diff.pages_printed !== undefined) result.pages_printed = int(diff.pages_printed, 'semantic_state_diff.pages_printed', 0, MAX_PAGES);
    if (!result.state && result.pages_printed === undefined) throw new ShapeError('semantic_state_diff must change state or pages_printed');
    return result;
  });
}

/** A full PrintJobState (`final_semantic_state` of a reported local job). */
export function validatePrintJobState(value: unknown, name: string): { state: JobState; pages_printed?: number } {
  return run('INVALID_STATE', name, () => {
    const state = object(value, name);
    optional(state, 'version', name, string);
    return { state: jobState(state.state, `${name}.state`), pages_printed: optional(state, 'pages_printed', name, (v, at) => int(v, at, 0, MAX_PAGES)) };
  });
}
