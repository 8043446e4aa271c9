// One-page sample documents of every type the cloud converts, made with the
// same Debian tools (Ghostscript renders the raster images) or written by hand.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/server.ts';

const DRAWING = '0.2 0.4 0.8 setrgbcolor 10 10 180 80 rectfill 1 0 0 setrgbcolor 100 50 40 0 360 arc fill showpage';

/** A 200×100 pt drawing rendered by Ghostscript with `device` (png16m, jpeg, tiff24nc) at 72 dpi. */
function rendered(device: string): Buffer {
  const dir = tempDir('ocp-sample-');
  try {
    const file = join(dir, 'out');
    execFileSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', `-sDEVICE=${device}`, '-r72', '-dDEVICEWIDTHPOINTS=200', '-dDEVICEHEIGHTPOINTS=100', '-dFIXEDMEDIA', `-sOutputFile=${file}`, '-c', DRAWING]);
    return readFileSync(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A 2×1 GIF89a, two palette colours, written by hand. */
const GIF = Buffer.from('474946383961020001008000000000ffff0000002c00000000020001000002024c0a003b', 'hex');

export interface Sample {
  contentType: string;
  content: Buffer;
}

export function samples(): Record<string, Sample> {
  return {
    png: { contentType: 'image/png', content: rendered('png16m') },
    jpeg: { contentType: 'image/jpeg', content: rendered('jpeg') },
    gif: { contentType: 'image/gif', content: GIF },
    tiff: { contentType: 'image/tiff', content: rendered('tiff24nc') },
    svg: { contentType: 'image/svg+xml', content: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="#36c"/><text x="20" y="60" font-size="30">SVG</text></svg>') },
    html: { contentType: 'text/html', content: Buffer.from('<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body><h1>Hello HTML</h1><p>Ünïcödé</p></body></html>') },
    text: { contentType: 'text/plain', content: Buffer.from('Hello plain text\nsecond line, Ünïcödé\n') },
    postscript: { contentType: 'application/postscript', content: Buffer.from(`%!PS\n${DRAWING}\n`) },
    pdf: { contentType: 'application/pdf', content: Buffer.from('') },
  };
}

/** The page boxes of a PDF that writes them in the clear (img2pdf, Ghostscript, rsvg, Chromium all do for /MediaBox). */
export function mediaBoxes(pdf: Buffer): number[][] {
  return [...pdf.toString('latin1').matchAll(/\/MediaBox\s*\[\s*([\d.\s-]+)\]/g)].map((m) => m[1]!.trim().split(/\s+/).map(Number));
}
