// The document converter of the cloud: GCP §a `submit` took PDF, images,
// SVG, HTML and text for any printer and converted them to a type of the
// printer's CDD supported_content_type (§f); `download?forcepwg=1` served
// PWG raster. The converter picks the target type, and converts one stored
// document into a new file of the document store's directory, through the
// work queue (conversion-workers at a time), each tool bounded by
// conversion-timeout, conversion-memory and conversion-max-output. It knows
// nothing of jobs: cloud/job-conversion.ts moves the jobs along.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pageLayout } from './layout.ts';
import { convertFile } from './pipeline.ts';
import { ConversionStopped, type ToolLimits } from './run-tool.ts';
import { baseType, PWG_RASTER, stepsFor, TARGET_TYPES } from './tools.ts';
import { WorkQueue } from './work-queue.ts';
import type { ServerConfig } from '../../config.ts';

export { ConversionFailure, ConversionStopped, type ConversionCause } from './run-tool.ts';
export { PWG_RASTER } from './tools.ts';

export interface ConverterOptions {
  /** Where the work directories go: a private directory of this process on the document store's file system. */
  workDir: string;
  workers: number;
  limits: ToolLimits;
}

export interface ConversionRequest {
  /** Path of the stored source document. */
  input: string;
  contentType: string;
  target: string;
  /** The job's CJT and the printer's CDD: the layout comes from them. */
  ticket: Record<string, unknown>;
  capabilities: Record<string, unknown>;
}

type Json = Record<string, any>;

export class DocumentConverter {
  private readonly queue: WorkQueue;
  private readonly stopping = new AbortController();
  /** The work around conversions (reading the job, recording the outcome) that close() waits for. */
  private readonly tracked = new Set<Promise<void>>();

  constructor(private readonly options: ConverterOptions) {
    this.queue = new WorkQueue(options.workers);
  }

  /**
   * For a printer that does not take `contentType` as it is: the first of
   * PDF and PWG raster in its CDD's order that the document can be
   * converted to, or undefined when there is none.
   */
  targetFor(capabilities: Json, contentType: string): string | undefined {
    const listed = ((capabilities.printer?.supported_content_type ?? []) as Json[]).map((entry) => String(entry.content_type));
    return listed.find((type) => (TARGET_TYPES as readonly string[]).includes(type) && stepsFor(contentType, type)?.length);
  }

  /**
   * Converts and moves the result to `output` (a path in the store's
   * directory, on the same file system as the work directory). Throws a
   * ConversionFailure with the job's cause when the document cannot be
   * converted.
   */
  convert(request: ConversionRequest, output: string): Promise<void> {
    return this.queue.run(async () => {
      if (this.stopping.signal.aborted) throw new ConversionStopped('The server is stopping');
      const workDir = join(this.options.workDir, randomBytes(8).toString('hex'));
      // Made on first use, every level private (the scratch root, this store's, this job's).
      await mkdir(workDir, { recursive: true, mode: 0o700 });
      try {
        const layout = pageLayout(request.ticket, request.capabilities);
        const result = await convertFile(request.input, request.contentType, request.target, layout, workDir, this.options.limits, this.stopping.signal);
        await rename(result, output);
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
    });
  }

  /** Waits for the conversions started or waiting so far. */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Keeps `work` (which must not reject) in flight until it settles: close() waits for it. */
  track(work: Promise<void>): void {
    this.tracked.add(work);
    void work.finally(() => this.tracked.delete(work));
  }

  /** At shutdown: kills the tools running and refuses the waiting conversions (ConversionStopped); their jobs wait for the next start. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.queue.idle();
    await Promise.all([...this.tracked]);
  }
}

/** The converter the server's options ask for, working in `workDir`. */
export function converterFromConfig(config: Pick<ServerConfig, 'conversionWorkers' | 'conversionTimeoutSeconds' | 'conversionMemory' | 'conversionMaxOutput'>, workDir: string): DocumentConverter {
  return new DocumentConverter({
    workDir,
    workers: config.conversionWorkers,
    limits: { timeoutMs: config.conversionTimeoutSeconds * 1000, memoryBytes: config.conversionMemory, maxOutputBytes: config.conversionMaxOutput },
  });
}

export function isRaster(contentType: string): boolean {
  return baseType(contentType) === PWG_RASTER;
}
