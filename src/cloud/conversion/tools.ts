// The converter table: which Debian tool turns a source type into PDF, and
// Ghostscript from PDF into PWG raster for a raster-only printer [GCP §a
// `submit`, §f supported_content_type]. Each step reads a file and writes a
// file in the conversion's own work directory; how the ticket's layout
// applies is the tool's to say, as far as it can.
import { orientedPage, type PageLayout } from './layout.ts';

export const PDF = 'application/pdf';
export const PWG_RASTER = 'image/pwg-raster';

/** The types a printer may be sent once converted, the printer's CDD order deciding between them. */
export const TARGET_TYPES = [PDF, PWG_RASTER] as const;

export interface ToolStep {
  command: string;
  args: string[];
  /** Chromium: the document is served to it, not read from a file. */
  html?: true;
  /** The tool needs its input in a text encoding it can read (Ghostscript's text printer reads Latin-1). */
  latin1Input?: true;
}

type StepBuilder = (input: string, output: string, layout: PageLayout) => ToolStep;

const GS = ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE'];
/** Found on Ghostscript's library path. */
const TEXT_PRINTER = 'gslp.ps';
const POINTS_PER_INCH = 72;

function pageSize(layout: PageLayout): string[] {
  const page = orientedPage(layout);
  return [`-dDEVICEWIDTHPOINTS=${page.widthPt}`, `-dDEVICEHEIGHTPOINTS=${page.heightPt}`, '-dFIXEDMEDIA'];
}

const IMG2PDF_FIT: Record<PageLayout['fit'], string> = { none: 'shrink', fit: 'into', grow: 'enlarge', shrink: 'shrink', fill: 'fill' };

const images: StepBuilder = (input, output, layout) => {
  const page = orientedPage(layout);
  // NO_FITTING keeps the image's own size unless it would not fit the page at all.
  return { command: 'img2pdf', args: ['--pagesize', `${page.widthPt}ptx${page.heightPt}pt`, '--fit', IMG2PDF_FIT[layout.fit], '-o', output, input] };
};

const tiff: StepBuilder = (input, output, layout) => {
  const page = orientedPage(layout);
  const inches = (points: number) => (points / POINTS_PER_INCH).toFixed(3);
  return { command: 'tiff2pdf', args: ['-u', 'i', '-w', inches(page.widthPt), '-l', inches(page.heightPt), ...(layout.fit === 'none' ? [] : ['-F']), '-o', output, input] };
};

const svg: StepBuilder = (input, output, layout) => {
  const page = orientedPage(layout);
  const scale = layout.fit === 'none' ? [] : ['--width', `${page.widthPt}pt`, '--height', `${page.heightPt}pt`, '--keep-aspect-ratio'];
  return { command: 'rsvg-convert', args: ['-f', 'pdf', '--page-width', `${page.widthPt}pt`, '--page-height', `${page.heightPt}pt`, ...scale, '-o', output, input] };
};

const postscript: StepBuilder = (input, output, layout) => ({
  command: 'gs',
  args: [...GS, '-sDEVICE=pdfwrite', ...pageSize(layout), ...(layout.fit === 'none' ? [] : ['-dPSFitPage']), `-sOutputFile=${output}`, input],
});

/** gslp.ps, Ghostscript's own text printer (-B: no header line), on the page as it lies. */
const text: StepBuilder = (input, output, layout) => ({
  command: 'gs',
  args: [...GS, '-sDEVICE=pdfwrite', ...pageSize(layout), `--permit-file-read=${input}`, `-sOutputFile=${output}`, '--', TEXT_PRINTER, '-B', input],
  latin1Input: true,
});

/** Chromium lays the page out at its own paper size; the fit step after it brings it to the ticket's. */
const html: StepBuilder = (_input, output) => ({ command: 'chromium', args: [`--print-to-pdf=${output}`], html: true });

/** A PDF brought to the ticket's page size (Chromium's output). */
const fitPdf: StepBuilder = (input, output, layout) => ({
  command: 'gs',
  args: [...GS, '-sDEVICE=pdfwrite', ...pageSize(layout), '-dPDFFitPage', `-sOutputFile=${output}`, input],
});

/** PDF → PWG raster at the ticket's resolution, 8-bit grey or sRGB [Privet §4.5 pwg_raster_config]. */
const pwgRaster: StepBuilder = (input, output, layout) => ({
  command: 'gs',
  args: [
    ...GS, '-sDEVICE=pwgraster', `-r${layout.dpi.horizontal}x${layout.dpi.vertical}`, ...pageSize(layout), ...(layout.fit === 'none' ? [] : ['-dPDFFitPage']),
    // cupsColorSpace 18 = sGray, 19 = sRGB (CUPS raster colour spaces).
    `-dcupsColorSpace=${layout.monochrome ? 18 : 19}`, '-dcupsBitsPerColor=8', `-sOutputFile=${output}`, input,
  ],
});

/** Source type → the steps that make a PDF of it. */
const TO_PDF: Record<string, StepBuilder[]> = {
  'application/postscript': [postscript],
  'image/jpeg': [images],
  'image/png': [images],
  'image/gif': [images],
  'image/tiff': [tiff],
  'image/svg+xml': [svg],
  'text/plain': [text],
  'text/html': [html, fitPdf],
};

/** Other names the same types go by. */
const ALIASES: Record<string, string> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg', 'image/x-png': 'image/png', 'image/tif': 'image/tiff', 'application/ps': 'application/postscript', 'application/xhtml+xml': 'text/html' };

/** The media type without parameters, lower case, under its usual name. */
export function baseType(contentType: string): string {
  const base = contentType.split(';')[0]!.trim().toLowerCase();
  return ALIASES[base] ?? base;
}

/** The steps from `source` to `target`, or undefined when there is no way. */
export function stepsFor(source: string, target: string): StepBuilder[] | undefined {
  const type = baseType(source);
  if (type === target) return [];
  const toPdf = type === PDF ? [] : TO_PDF[type];
  if (!toPdf) return undefined;
  if (target === PDF) return toPdf;
  if (target === PWG_RASTER) return [...toPdf, pwgRaster];
  return undefined;
}

