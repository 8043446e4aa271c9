// Formats IPP Everywhere clients send that a printer's CDD may lack,
// converted to PDF with Ghostscript (Debian `ghostscript`, as src/privet uses
// it) on the way into the document store [issue 19, Formats]. PostScript
// streams through pdfwrite; a JPEG is first written to a private temporary
// file, because Ghostscript's viewjpeg.ps reads its input twice (it seeks),
// and is then converted from there. Nothing is held in memory.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What each convertible format becomes. */
export const CONVERSIONS: Record<string, string> = { 'image/jpeg': 'application/pdf', 'application/postscript': 'application/pdf' };

export class ConversionError extends Error {}

function ghostscript(args: string[], input: Readable | undefined): Readable {
  const gs = spawn('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=pdfwrite', '-sOutputFile=-', ...args], { stdio: [input ? 'pipe' : 'ignore', 'pipe', 'ignore'] });
  const output = gs.stdout!;
  if (input) {
    input.on('error', (error) => {
      gs.kill();
      output.destroy(error);
    });
    input.pipe(gs.stdin!);
    gs.stdin!.on('error', () => {}); // gs may stop reading early; its exit code tells
  }
  gs.on('exit', (code) => {
    if (code !== 0) output.destroy(new ConversionError(`Ghostscript could not convert the document (exit code ${code})`));
  });
  gs.on('error', (error) => output.destroy(new ConversionError(`Ghostscript could not run: ${error.message}`)));
  return output;
}

export interface Converted {
  stream: Readable;
  contentType: string;
  /** Removes what the conversion left on disk; call once the stream is consumed or abandoned. */
  cleanup(): Promise<void>;
}

export async function convertToPdf(data: Readable, from: string): Promise<Converted> {
  if (from === 'application/postscript') return { stream: ghostscript(['-'], data), contentType: 'application/pdf', cleanup: async () => {} };
  if (from !== 'image/jpeg') throw new ConversionError(`${from} cannot be converted`);
  const dir = await mkdtemp(join(tmpdir(), 'ocp-ipp-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const file = join(dir, 'document.jpg');
    await pipeline(data, createWriteStream(file, { mode: 0o600 }));
    // The path is ours (mkdtemp: letters, digits, / - .), so it is safe in a PostScript string.
    return { stream: ghostscript([`--permit-file-read=${file}`, 'viewjpeg.ps', '-c', `(${file}) viewJPEG`], undefined), contentType: 'application/pdf', cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
