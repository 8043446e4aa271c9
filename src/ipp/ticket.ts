// Job template attributes [RFC 8011 §5.2; PWG 5100.13 §6.2] → a CJT ticket
// [GCP §f], accepting exactly the values the printer
// advertises (capabilities.ts). A value it cannot honour is reported in the
// unsupported-attributes group [RFC 8011 §4.1.7]: the job is refused when
// ipp-attribute-fidelity is true, printed without it otherwise.
import { attr, ipp, ValueTag, type Collection, type IppAttribute, type IppValue } from './codec.ts';
import { COLOR_MODES, ORIENTATIONS, SCALINGS, SIDES, type Capabilities, type Dpi } from './capabilities.ts';
import { findMedia, type IppMedia } from './media.ts';

type Json = Record<string, unknown>;

export interface TicketResult {
  ticket: { version: '1.0'; print: Json };
  /** Attributes (with the values) that could not be honoured. */
  unsupported: IppAttribute[];
}

const first = (a: IppAttribute) => a.values[0]!;
const text = (v: IppValue) => (typeof v.value === 'string' ? v.value : undefined);
const integer = (v: IppValue) => (typeof v.value === 'number' && (v.tag === ValueTag.integer || v.tag === ValueTag.enum) ? v.value : undefined);

/** Attributes accepted with these values only, and otherwise ignored (they change nothing on a cloud printer). */
const FIXED: Record<string, Array<string | number>> = {
  finishings: [3],
  'job-sheets': ['none'],
  'job-hold-until': ['no-hold'],
  'number-up': [1],
  'output-bin': ['face-down'],
  'print-content-optimize': ['auto'],
  'print-rendering-intent': ['auto'],
  'feed-orientation': ['short-edge-first'],
};
/** Accepted with any well-formed value. */
const FREE = new Set(['job-priority', 'multiple-document-handling', 'job-name', 'job-account-id', 'job-accounting-user-id']);

function mediaSize(media: IppMedia): Json {
  const size: Json = { width_microns: media.x * 10, height_microns: media.y * 10 };
  if (media.option.vendor_id) size.vendor_id = media.option.vendor_id;
  if (media.option.name) size.name = media.option.name;
  return size;
}

function dpiItem(dpi: Dpi): Json {
  const item: Json = { horizontal_dpi: dpi.x, vertical_dpi: dpi.y };
  if (dpi.option.vendor_id) item.vendor_id = dpi.option.vendor_id;
  return item;
}

/** The media of a media-col's media-size (x/y-dimension) or media-size-name. */
function mediaFromCol(caps: Capabilities, col: Collection): IppMedia | undefined | null {
  const size = col['media-size']?.[0];
  if (size?.tag === ValueTag.begCollection) {
    const members = size.value as Collection;
    const x = members['x-dimension']?.[0];
    const y = members['y-dimension']?.[0];
    return findMedia(caps.media, { x: x ? integer(x) : undefined, y: y ? integer(y) : undefined });
  }
  const name = col['media-size-name']?.[0];
  if (name) return findMedia(caps.media, { name: text(name) });
  return null; // no size asked for: the default
}

/** The CJT for `attributes` (the request's job group). */
export function ticketFrom(attributes: IppAttribute[], caps: Capabilities): TicketResult {
  const print: Json = {};
  const unsupported: IppAttribute[] = [];
  const refuse = (a: IppAttribute) => unsupported.push(a);
  let quality: number | undefined;

  for (const a of attributes) {
    const value = first(a);
    switch (a.name) {
      case 'copies': {
        const n = integer(value);
        if (n === undefined || n < 1 || n > caps.maxCopies) refuse(a);
        else if (n > 1) print.copies = { copies: n };
        break;
      }
      case 'sides': {
        const keyword = text(value);
        if (!keyword || !caps.sides.includes(keyword)) refuse(a);
        else print.duplex = { type: SIDES[keyword] };
        break;
      }
      case 'print-color-mode': {
        const keyword = text(value);
        if (!keyword || !caps.colorModes.includes(keyword) || !COLOR_MODES[keyword]) refuse(a);
        else {
          const option = caps.colorOption.get(keyword);
          if (option) print.color = { type: option.type, ...(option.vendor_id ? { vendor_id: option.vendor_id } : {}) };
        }
        break;
      }
      case 'media': {
        const media = findMedia(caps.media, { name: text(value) });
        if (!media) refuse(a);
        else print.media_size = mediaSize(media);
        break;
      }
      case 'media-col': {
        const media = value.tag === ValueTag.begCollection ? mediaFromCol(caps, value.value as Collection) : undefined;
        if (media === undefined) refuse(a);
        else if (media) print.media_size = mediaSize(media);
        break;
      }
      case 'orientation-requested': {
        const n = integer(value);
        if (n === undefined || !ORIENTATIONS[n]) refuse(a);
        else if (caps.hasOrientation) print.page_orientation = { type: ORIENTATIONS[n] };
        break;
      }
      case 'print-quality': {
        quality = integer(value);
        if (quality === undefined || quality < 3 || quality > 5) refuse(a);
        break;
      }
      case 'printer-resolution': {
        const r = value.tag === ValueTag.resolution ? (value.value as { x: number; y: number; units: number }) : undefined;
        const dpi = r && r.units === 3 ? caps.resolutions.find((d) => d.x === r.x && d.y === r.y) : undefined;
        if (!dpi) refuse(a);
        else if (dpi.option.horizontal_dpi !== undefined) print.dpi = dpiItem(dpi);
        break;
      }
      case 'print-scaling': {
        const keyword = text(value);
        if (!keyword || !caps.scalings.includes(keyword)) refuse(a);
        else if (SCALINGS[keyword] && caps.scalings.length > 1) print.fit_to_page = { type: SCALINGS[keyword] };
        break;
      }
      case 'page-ranges': {
        const ranges = a.values.map((v) => (v.tag === ValueTag.rangeOfInteger ? (v.value as { lower: number; upper: number }) : undefined));
        const valid = ranges.every((r, i) => r && r.lower >= 1 && r.upper >= r.lower && (i === 0 || r.lower > ranges[i - 1]!.upper));
        if (!valid) refuse(a);
        else print.page_range = { interval: ranges.map((r) => ({ start: r!.lower, end: r!.upper })) };
        break;
      }
      default:
        if (FIXED[a.name]) {
          const v = value.value;
          if (!FIXED[a.name]!.includes(v as string | number)) refuse(a);
        } else if (!FREE.has(a.name)) {
          refuse(attr(a.name, ipp.unsupported()));
        }
    }
  }
  // print-quality picks among the printer's resolutions when printer-resolution did not.
  if (quality !== undefined && !print.dpi && caps.resolutions.length > 1 && caps.resolutions[0]!.option.horizontal_dpi !== undefined) {
    const sorted = [...caps.resolutions].sort((a, b) => a.x * a.y - b.x * b.y);
    const dpi = quality === 3 ? sorted[0]! : quality === 5 ? sorted[sorted.length - 1]! : caps.defaultResolution;
    print.dpi = dpiItem(dpi);
  }
  return { ticket: { version: '1.0', print }, unsupported };
}

/** Job template values of a job's ticket, for Get-Job-Attributes (the reverse mapping). */
export function templateFromTicket(ticket: Json): IppAttribute[] {
  const print = (ticket.print ?? {}) as Json;
  const out: IppAttribute[] = [];
  const copies = Number((print.copies as Json | undefined)?.copies ?? 1);
  out.push(attr('copies', ipp.int(Number.isInteger(copies) && copies > 0 ? copies : 1)));
  const duplex = (print.duplex as Json | undefined)?.type;
  const sides = Object.keys(SIDES).find((k) => SIDES[k] === duplex);
  if (sides) out.push(attr('sides', ipp.keyword(sides)));
  const color = (print.color as Json | undefined)?.type;
  const mode = Object.keys(COLOR_MODES).find((k) => COLOR_MODES[k]!.includes(String(color)));
  if (mode) out.push(attr('print-color-mode', ipp.keyword(mode)));
  const orientation = (print.page_orientation as Json | undefined)?.type;
  const enumValue = Object.entries(ORIENTATIONS).find(([, v]) => v === orientation)?.[0];
  if (enumValue) out.push(attr('orientation-requested', ipp.enum(Number(enumValue))));
  const range = (print.page_range as { interval?: Array<{ start?: number; end?: number }> } | undefined)?.interval;
  if (range?.length) out.push(attr('page-ranges', ...range.map((r) => ipp.range(Number(r.start ?? 1), Number(r.end ?? 2 ** 31 - 1)))));
  return out;
}
