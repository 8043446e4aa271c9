// One document through the steps of the converter table, file to file in a
// work directory of its own: the source is read where the document store
// keeps it, and the result is left in the work directory for the caller to
// commit. Every step runs bounded (run-tool.ts).
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, link, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { htmlToPdf } from './html.ts';
import type { PageLayout } from './layout.ts';
import { ConversionFailure, runTool, type ToolLimits } from './run-tool.ts';
import { stepsFor } from './tools.ts';

/** UTF-8 text as Latin-1, for Ghostscript's text printer: characters outside it become "?". Other text passes as it is. */
function latin1Text(): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: false });
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, Buffer.from(decoder.decode(chunk, { stream: true }).replace(/[^\x00-\xff]/g, '?'), 'latin1'));
    },
    flush(done) {
      done(null, Buffer.from(decoder.decode().replace(/[^\x00-\xff]/g, '?'), 'latin1'));
    },
  });
}

/** Converts `input` (of type `source`) to `target`; returns the path of the result inside `workDir`. */
export async function convertFile(input: string, source: string, target: string, layout: PageLayout, workDir: string, limits: ToolLimits, signal?: AbortSignal): Promise<string> {
  const steps = stepsFor(source, target);
  if (!steps) throw new ConversionFailure('CONVERSION_UNSUPPORTED_CONTENT_TYPE', `Cannot convert ${source} to ${target}`);
  // The tools see the source alone in the work directory, not beside other
  // jobs' documents: rsvg-convert, for one, includes files next to an SVG.
  let current = join(workDir, 'source');
  await link(input, current).catch(() => copyFile(input, current));
  for (const [index, build] of steps.entries()) {
    // Named .pdf even for raster: Chromium writes nothing to a --print-to-pdf path without it.
    const output = join(workDir, `step-${index}.pdf`);
    let step = build(current, output, layout);
    if (step.latin1Input) {
      const text = join(workDir, `step-${index}.txt`);
      await pipeline(createReadStream(current), latin1Text(), createWriteStream(text, { mode: 0o600 }));
      current = text;
      step = build(current, output, layout);
    }
    try {
      if (step.html) await htmlToPdf(current, output, workDir, limits, signal);
      else await runTool({ command: step.command, args: step.args, limits, cwd: workDir, signal });
    } catch (error) {
      // A tool that stops writing at the size limit may exit with its own error rather than die of SIGXFSZ.
      const size = await stat(output).then((s) => s.size, () => 0);
      if (error instanceof ConversionFailure && size >= limits.maxOutputBytes) throw new ConversionFailure('CONVERSION_FILE_TOO_BIG', `${step.command} wrote more than ${limits.maxOutputBytes} bytes`);
      throw error;
    }
    const size = await stat(output).then((s) => s.size, () => 0);
    if (size === 0) throw new ConversionFailure('CONVERSION_ERROR', `${step.command} produced nothing`);
    current = output;
  }
  return current;
}
