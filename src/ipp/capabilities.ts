// What a printer's CDD offers, in IPP's terms: the keyword and enum values of
// each job template attribute [PWG 5100.14 §5.2; RFC 8011 §5.2] and the CJT
// item each one becomes [GCP §f]. printer-attributes.ts
// advertises these values, ticket.ts accepts exactly them.
import { mediaOf, type IppMedia } from './media.ts';

type Json = Record<string, unknown>;

function optionsOf(cdd: Json, key: string): Json[] {
  const option = (cdd[key] as { option?: unknown } | undefined)?.option;
  return Array.isArray(option) ? (option as Json[]) : [];
}

function defaultOf(options: Json[]): Json | undefined {
  return options.find((o) => o.is_default === true) ?? options[0];
}

/** sides [RFC 8011 §5.2.8] ↔ CJT duplex.type. */
export const SIDES: Record<string, string> = { 'one-sided': 'NO_DUPLEX', 'two-sided-long-edge': 'LONG_EDGE', 'two-sided-short-edge': 'SHORT_EDGE' };
/** print-color-mode [PWG 5100.13 §6.2.3] ↔ CJT color.type. */
export const COLOR_MODES: Record<string, string[]> = { color: ['STANDARD_COLOR', 'CUSTOM_COLOR'], monochrome: ['STANDARD_MONOCHROME', 'CUSTOM_MONOCHROME'], auto: ['AUTO'] };
/** orientation-requested [RFC 8011 §5.2.10] ↔ CJT page_orientation.type. */
export const ORIENTATIONS: Record<number, string> = { 3: 'PORTRAIT', 4: 'LANDSCAPE' };
/** print-scaling [PWG 5100.13 §6.2.9] ↔ CJT fit_to_page.type. */
export const SCALINGS: Record<string, string> = { auto: 'FIT_TO_PAGE', 'auto-fit': 'SHRINK_TO_PAGE', fill: 'FILL_PAGE', fit: 'FIT_TO_PAGE', none: 'NO_FITTING' };
/** print-quality [RFC 8011 §5.2.13]: draft, normal, high. */
export const QUALITIES = [3, 4, 5];

export interface Dpi {
  x: number;
  y: number;
  option: Json;
}

export interface Capabilities {
  media: IppMedia[];
  defaultMedia: IppMedia | undefined;
  sides: string[];
  defaultSides: string;
  colorModes: string[];
  defaultColorMode: string;
  /** The CDD color option each print-color-mode selects. */
  colorOption: Map<string, Json>;
  /** Whether the CDD has page_orientation (else the ticket leaves it to the document). */
  hasOrientation: boolean;
  scalings: string[];
  defaultScaling: string;
  resolutions: Dpi[];
  defaultResolution: Dpi;
  maxCopies: number;
  pageRanges: boolean;
  contentTypes: string[];
  isColor: boolean;
  rasterTypes: string[];
  rasterResolutions: Array<{ x: number; y: number }>;
  rasterSheetBack: string;
}

/** Without a CDD list, PWG raster is offered in what IPP Everywhere requires at least [PWG 5100.14 §5.1]. */
const DEFAULT_RASTER_TYPES = ['black_1', 'sgray_8', 'srgb_8'];

export function capabilitiesOf(cdd: Json): Capabilities {
  const media = mediaOf(cdd);
  const mediaDefault = media.find((m) => m.option.is_default === true) ?? media[0];

  const duplexes = optionsOf(cdd, 'duplex');
  const sides = Object.keys(SIDES).filter((keyword) => (duplexes.length ? duplexes.some((o) => o.type === SIDES[keyword]) : keyword === 'one-sided'));
  const duplexDefault = defaultOf(duplexes);
  const defaultSides = Object.keys(SIDES).find((keyword) => SIDES[keyword] === duplexDefault?.type) ?? 'one-sided';

  const colors = optionsOf(cdd, 'color');
  const colorOption = new Map<string, Json>();
  for (const [mode, types] of Object.entries(COLOR_MODES)) {
    const option = colors.find((o) => types.includes(String(o.type)));
    if (option) colorOption.set(mode, option);
  }
  const colorModes = colorOption.size ? [...colorOption.keys()] : ['monochrome'];
  const colorDefault = defaultOf(colors);
  const defaultColorMode = Object.keys(COLOR_MODES).find((mode) => COLOR_MODES[mode]!.includes(String(colorDefault?.type))) ?? colorModes[0]!;

  const fits = optionsOf(cdd, 'fit_to_page');
  const scalings = fits.length ? Object.keys(SCALINGS).filter((keyword) => fits.some((o) => o.type === SCALINGS[keyword])) : ['auto'];
  const fitDefault = defaultOf(fits);
  const defaultScaling = fits.length ? (Object.keys(SCALINGS).find((keyword) => SCALINGS[keyword] === fitDefault?.type && scalings.includes(keyword)) ?? scalings[0]!) : 'auto';

  const dpiOptions = optionsOf(cdd, 'dpi');
  const resolutions: Dpi[] = dpiOptions.map((o) => ({ x: Number(o.horizontal_dpi), y: Number(o.vertical_dpi), option: o })).filter((d) => d.x > 0 && d.y > 0);
  if (!resolutions.length) resolutions.push({ x: 300, y: 300, option: {} });
  const dpiDefault = defaultOf(dpiOptions);
  const defaultResolution = resolutions.find((d) => d.option === dpiDefault) ?? resolutions[0]!;

  const copies = cdd.copies as Json | undefined;
  const maxCopies = copies ? Math.max(1, Math.min(Number(copies.max ?? 999) || 999, 2 ** 31 - 1)) : 1;

  const contentTypes = ((cdd.supported_content_type as Json[] | undefined) ?? []).map((t) => String(t.content_type));

  const raster = (cdd.pwg_raster_config ?? {}) as Json;
  const listedTypes = Array.isArray(raster.document_type_supported) ? (raster.document_type_supported as unknown[]).map((t) => String(t).toLowerCase()) : [];
  const listedResolutions = Array.isArray(raster.document_resolution_supported)
    ? (raster.document_resolution_supported as Json[]).map((r) => ({ x: Number(r.cross_feed_dir), y: Number(r.feed_dir) })).filter((r) => r.x > 0 && r.y > 0)
    : [];

  return {
    media,
    defaultMedia: mediaDefault,
    sides,
    defaultSides: sides.includes(defaultSides) ? defaultSides : 'one-sided',
    colorModes,
    defaultColorMode,
    colorOption,
    hasOrientation: optionsOf(cdd, 'page_orientation').length > 0,
    scalings,
    defaultScaling,
    resolutions,
    defaultResolution,
    maxCopies,
    pageRanges: cdd.page_range !== undefined,
    contentTypes,
    isColor: colorOption.has('color'),
    rasterTypes: listedTypes.length ? listedTypes : DEFAULT_RASTER_TYPES.filter((type) => type !== 'srgb_8' || colorOption.has('color')),
    rasterResolutions: listedResolutions.length ? listedResolutions : resolutions.map(({ x, y }) => ({ x, y })),
    rasterSheetBack: typeof raster.document_sheet_back === 'string' ? raster.document_sheet_back.toLowerCase().replaceAll('_', '-') : 'normal',
  };
}
