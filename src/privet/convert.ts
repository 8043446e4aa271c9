// Documents the printer cannot print natively are converted on the way in
// with Ghostscript (Debian `ghostscript`), streaming stdin → stdout:
// PostScript → PDF (pdfwrite), and PDF → PWG raster (pwgraster) for a
// raster-only engine. Anything else is refused by the caller.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export const NATIVE_TYPES = ['application/pdf', 'image/pwg-raster'];

const GS_ARGS = ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE'];

export interface ConvertedSource {
  stream: Readable;
  contentType: string;
}

function ghostscript(input: Readable, device: string, extra: string[] = []): Readable {
  const gs = spawn('gs', [...GS_ARGS, `-sDEVICE=${device}`, ...extra, '-sOutputFile=-', '-'], { stdio: ['pipe', 'pipe', 'ignore'] });
  input.pipe(gs.stdin);
  gs.stdin.on('error', () => {}); // gs may exit before reading all input; its exit code tells
  gs.on('exit', (code) => {
    if (code !== 0) gs.stdout.destroy(new Error(`Ghostscript (${device}) failed with exit code ${code}`));
  });
  gs.on('error', (error) => gs.stdout.destroy(error));
  return gs.stdout;
}

/** The document as the engine can print it, or undefined when it cannot be converted. */
export function convertingSource(body: Readable, contentType: string, rasterOnly = false): ConvertedSource | undefined {
  if (contentType === 'image/pwg-raster') return { stream: body, contentType };
  if (contentType === 'application/pdf') {
    return rasterOnly ? { stream: ghostscript(body, 'pwgraster', ['-r300']), contentType: 'image/pwg-raster' } : { stream: body, contentType };
  }
  if (contentType === 'application/postscript') return { stream: ghostscript(body, 'pdfwrite'), contentType: 'application/pdf' };
  return undefined;
}
