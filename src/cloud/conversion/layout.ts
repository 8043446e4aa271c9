// What of a job's ticket (CJT, GCP §f) a conversion bakes into the document:
// the page size, orientation, fitting, resolution and colour. What the
// ticket leaves out comes from the printer's CDD defaults, then from ISO A4
// at 300 dpi.
type Json = Record<string, any>;

export interface PageLayout {
  /** Page size in PostScript points (1/72 inch), portrait. */
  widthPt: number;
  heightPt: number;
  landscape: boolean;
  /** FIT_TO_PAGE, GROW_TO_PAGE, SHRINK_TO_PAGE or FILL_PAGE: scale the content to the page; NO_FITTING keeps its size. */
  fit: 'none' | 'fit' | 'grow' | 'shrink' | 'fill';
  dpi: { horizontal: number; vertical: number };
  monochrome: boolean;
}

const MICRONS_PER_POINT = 25400 / 72;
const A4 = { width_microns: 210000, height_microns: 297000 };

const FIT: Record<string, PageLayout['fit']> = { NO_FITTING: 'none', FIT_TO_PAGE: 'fit', GROW_TO_PAGE: 'grow', SHRINK_TO_PAGE: 'shrink', FILL_PAGE: 'fill' };

function defaultOption(cdd: Json, key: string): Json | undefined {
  const options = cdd.printer?.[key]?.option as Json[] | undefined;
  return options?.find((option) => option.is_default) ?? options?.[0];
}

export function pageLayout(ticket: Json, cdd: Json): PageLayout {
  const print = (ticket.print ?? {}) as Json;
  const media = (print.media_size?.width_microns ? print.media_size : defaultOption(cdd, 'media_size')) ?? A4;
  const orientation = String(print.page_orientation?.type ?? defaultOption(cdd, 'page_orientation')?.type ?? 'PORTRAIT');
  const fit = String(print.fit_to_page?.type ?? defaultOption(cdd, 'fit_to_page')?.type ?? 'FIT_TO_PAGE');
  const dpi = print.dpi ?? defaultOption(cdd, 'dpi');
  const resolution = cdd.printer?.pwg_raster_config?.document_resolution_supported?.[0] as Json | undefined;
  const color = String(print.color?.type ?? defaultOption(cdd, 'color')?.type ?? 'STANDARD_COLOR');
  return {
    widthPt: Math.round(Number(media.width_microns ?? A4.width_microns) / MICRONS_PER_POINT),
    heightPt: Math.round(Number(media.height_microns ?? A4.height_microns) / MICRONS_PER_POINT),
    landscape: orientation === 'LANDSCAPE',
    fit: FIT[fit] ?? 'fit',
    dpi: {
      horizontal: Number(dpi?.horizontal_dpi ?? resolution?.cross_feed_dir ?? 300),
      vertical: Number(dpi?.vertical_dpi ?? resolution?.feed_dir ?? 300),
    },
    monochrome: color.includes('MONOCHROME'),
  };
}

/** The page as it lies: width and height swapped for landscape. */
export function orientedPage(layout: PageLayout): { widthPt: number; heightPt: number } {
  return layout.landscape ? { widthPt: layout.heightPt, heightPt: layout.widthPt } : { widthPt: layout.widthPt, heightPt: layout.heightPt };
}
