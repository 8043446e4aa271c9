// CDD media sizes as IPP media: PWG 5101.1 §5 self-describing names
// (class_size-name_WIDTHxHEIGHTunits) and media-size collections in
// hundredths of a millimetre [PWG 5100.7 §6.3].

/** A CDD media_size option [GCP §f MediaSize.Option]. */
export interface CddMediaSize {
  name?: string;
  width_microns?: number | string;
  height_microns?: number | string;
  vendor_id?: string;
  custom_display_name?: string;
  is_default?: boolean;
  is_continuous_feed?: boolean;
}

export interface IppMedia {
  /** The PWG self-describing name, e.g. iso_a4_210x297mm. */
  name: string;
  /** Width and height in hundredths of a millimetre. */
  x: number;
  y: number;
  option: CddMediaSize;
}

/** Size classes measured in inches [PWG 5101.1 §5.1]; the others are metric. */
const INCH_CLASSES = new Set(['na', 'asme', 'roc', 'oe']);
const KNOWN_CLASSES = new Set(['na', 'asme', 'roc', 'oe', 'iso', 'jis', 'jpn', 'prc', 'om']);

/** A dimension without trailing zeros, at most three decimals (the PWG name grammar). */
function dimension(value: number): string {
  return String(Number(value.toFixed(3)));
}

export function pwgMediaName(option: CddMediaSize): string | undefined {
  const width = Number(option.width_microns);
  const height = Number(option.height_microns);
  if (!(width > 0 && height > 0)) return undefined;
  const [prefix, ...rest] = (option.name ?? '').toLowerCase().split('_');
  const known = prefix !== undefined && KNOWN_CLASSES.has(prefix) && rest.length > 0;
  const sizeClass = known ? prefix : 'custom';
  const sizeName = known ? rest.join('-') : (option.vendor_id ?? option.name ?? 'size').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'size';
  const inches = INCH_CLASSES.has(sizeClass);
  const scale = inches ? 25400 : 1000;
  return `${sizeClass}_${sizeName}_${dimension(width / scale)}x${dimension(height / scale)}${inches ? 'in' : 'mm'}`;
}

/** The CDD's media sizes that have a name IPP can carry, in CDD order. */
export function mediaOf(cdd: Record<string, unknown>): IppMedia[] {
  const options = ((cdd.media_size as { option?: CddMediaSize[] } | undefined)?.option ?? []);
  const media: IppMedia[] = [];
  for (const option of options) {
    const name = pwgMediaName(option);
    if (!name || media.some((m) => m.name === name)) continue;
    media.push({ name, x: Math.round(Number(option.width_microns) / 10), y: Math.round(Number(option.height_microns) / 10), option });
  }
  return media;
}

/** Within this many hundredths of a millimetre, two sizes are the same (PWG 5101.1 rounds inch sizes). */
const SIZE_TOLERANCE = 100;

/** The printer's media that matches a requested name or size. */
export function findMedia(media: IppMedia[], wanted: { name?: string; x?: number; y?: number }): IppMedia | undefined {
  if (wanted.name) {
    const byName = media.find((m) => m.name === wanted.name);
    if (byName) return byName;
    // A self-describing name from another catalogue still says its size.
    const size = /_((?:\d+\.)?\d+)x((?:\d+\.)?\d+)(in|mm)$/.exec(wanted.name);
    if (!size) return undefined;
    const scale = size[3] === 'in' ? 2540 : 100;
    wanted = { x: Number(size[1]) * scale, y: Number(size[2]) * scale };
  }
  if (wanted.x === undefined || wanted.y === undefined) return undefined;
  return media.find((m) => Math.abs(m.x - wanted.x!) <= SIZE_TOLERANCE && Math.abs(m.y - wanted.y!) <= SIZE_TOLERANCE);
}
