// The documents ipptool's conformance files print (ipp-1.1.test,
// ipp-everywhere.test), made with Ghostscript in a temporary directory next
// to copies of the test files: ipptool resolves FILE paths from the test
// file's directory and refuses to parse a file that names a missing one.
// PWG raster samples are rendered for the resolutions and types a printer
// advertises; the others (whose tests ipptool skips) are empty placeholders.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const IPPTOOL_DIR = '/usr/share/cups/ipptool';
export const CONFORMANCE_FILES = ['ipp-1.1.test', 'ipp-2.0.test', 'ipp-everywhere.test'];

const PAGE = `%!PS
/Helvetica findfont 24 scalefont setfont
72 600 moveto (OpenCloudPrint IPP Everywhere test page) show
0.2 0.5 0.8 setrgbcolor 72 300 200 200 rectfill
showpage
`;

/** Page sizes in points of the sample names. */
const SIZES: Record<string, [number, number]> = { a4: [595, 842], letter: [612, 792], '4x6': [288, 432] };
/** pwgraster's cupsColorSpace and bits for each sample type [PWG 5102.4]. */
const RASTER_TYPES: Record<string, [number, number]> = { 'black-1': [3, 1], 'sgray-8': [18, 8], 'srgb-8': [19, 8], 'srgb-16': [19, 16], 'cmyk-8': [6, 8] };

function gs(args: string[], input: string): void {
  execFileSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', ...args, '-'], { input, stdio: ['pipe', 'ignore', 'ignore'] });
}

function sizeOf(name: string): [number, number] {
  const key = Object.keys(SIZES).find((size) => name.includes(`-${size}`) || name.includes(`.jpg-${size}`));
  return SIZES[key ?? 'letter']!;
}

/**
 * Fills `dir` with the test files and every document they name; rasters
 * are real for `resolutions` (dpi) × `types` (e.g. sgray-8).
 */
export function writeSamples(dir: string, resolutions: number[], types: string[]): void {
  for (const file of CONFORMANCE_FILES) copyFileSync(join(IPPTOOL_DIR, file), join(dir, file));
  writeFileSync(join(dir, 'page.ps'), PAGE);
  for (const size of ['a4', 'letter']) {
    const [w, h] = SIZES[size]!;
    writeFileSync(join(dir, `document-${size}.ps`), PAGE.replace('%!PS', `%!PS\n<< /PageSize [${w} ${h}] >> setpagedevice`));
    gs(['-sDEVICE=pdfwrite', `-dDEVICEWIDTHPOINTS=${w}`, `-dDEVICEHEIGHTPOINTS=${h}`, '-dFIXEDMEDIA', `-sOutputFile=${join(dir, `document-${size}.pdf`)}`], PAGE);
  }
  gs(['-sDEVICE=jpeg', '-r40', `-sOutputFile=${join(dir, 'color.jpg')}`], PAGE);
  gs(['-sDEVICE=jpeggray', '-r40', `-sOutputFile=${join(dir, 'gray.jpg')}`], PAGE);
  const everywhere = readFileSync(join(dir, 'ipp-everywhere.test'), 'utf8');
  const rasters = new Set([...everywhere.matchAll(/FILE (pwg-raster-samples-(\d+)dpi\/([\w-]+)\/(\S+))/g)].map((m) => m[1]!));
  for (const path of rasters) {
    const [, dpi, type, name] = /^pwg-raster-samples-(\d+)dpi\/([\w-]+)\/(\S+)$/.exec(path)!;
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    const raster = RASTER_TYPES[type!];
    if (!raster || !resolutions.includes(Number(dpi)) || !types.includes(type!)) {
      writeFileSync(target, '');
      continue;
    }
    const [w, h] = sizeOf(name!);
    gs(['-sDEVICE=pwgraster', `-r${dpi}`, `-dcupsColorSpace=${raster[0]}`, `-dcupsBitsPerColor=${raster[1]}`, `-dDEVICEWIDTHPOINTS=${w}`, `-dDEVICEHEIGHTPOINTS=${h}`, '-dFIXEDMEDIA', `-sOutputFile=${target}`], PAGE);
  }
}
