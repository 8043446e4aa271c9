// The device side of a cloud print job [GCP §d]: /fetch the
// printer's QUEUED jobs, then for each: /ticket, download the document, print
// it, and report every change of state with /control (only when the diff
// changes, as the original connector did). Failures before printing abort the
// job with the cause the original used.
//
// The document is downloaded whole into a private spool file before it is
// printed, so that no download waits on the printer: a job queued behind
// another one, or held by paper-out, prints from its file whenever the
// engine takes it, while the cloud's connection was closed long before. A
// download that stalls (no byte for `timeoutMs`) or fails in a way worth
// retrying (GCP §a: transport errors and 5xx) is tried again;
// one that cannot be fetched ends the job ABORTED with DOWNLOAD_FAILURE.
//
// A job is printed once. Its final state may fail to reach the cloud (the
// node answering /control went away in a rolling restart, the network
// dropped): the cloud then lists the job again on the next /fetch, and the
// runner sends the final state again instead of printing it again.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudPrintError, type CloudJob, type CloudPrintApi } from './cloudprint-api.ts';
import type { Logger } from '../log.ts';
import type { JobState } from '../protocol/job-state.ts';

export interface JobProgress {
  state: JobState;
  pagesPrinted?: number;
}

/** Prints one downloaded job; calls `report` with each new state and resolves with the final one. */
export type PrintCloudJob = (job: CloudJob, ticket: unknown, document: Readable, contentType: string, report: (progress: JobProgress) => void) => Promise<JobProgress>;

export interface CloudJobOptions {
  /** Documents are spooled here (files 0600, the directory 0700) between download and print; see clearSpool. */
  spoolDir: string;
  /** How long a download may go without receiving a byte (the answer's headers included). */
  timeoutMs?: number;
  /** Downloads tried per job before it is ABORTED with DOWNLOAD_FAILURE. */
  downloadAttempts?: number;
  /** Wait before the second attempt; doubled before each further one. */
  retryDelayMs?: number;
  /** Larger documents are not spooled: the job is ABORTED with PRINT_FAILURE. */
  maxDocumentSize?: number;
}

export const DEFAULT_CLOUD_JOB_OPTIONS = { timeoutMs: 30_000, downloadAttempts: 3, retryDelayMs: 2_000 } as const;

/** Printed jobs whose final state the cloud has not confirmed, at most: the oldest is forgotten first. */
const MAX_UNCONFIRMED = 1000;

/** The download made no progress for the configured time. */
class DownloadStalled extends Error {}
/** The document is larger than the device accepts. */
class DocumentTooLarge extends Error {}

interface Spooled {
  path: string;
  contentType: string;
}

export class CloudJobRunner {
  private readonly inFlight = new Set<string>();
  /** Printed, their final state not confirmed by the cloud (by job id, oldest first). */
  private readonly unconfirmed = new Map<string, JobProgress>();
  private running: Promise<void> | undefined;
  private again = false;
  private readonly options: Required<Omit<CloudJobOptions, 'maxDocumentSize'>> & Pick<CloudJobOptions, 'maxDocumentSize'>;

  constructor(
    private readonly api: CloudPrintApi,
    private readonly printerId: string,
    private readonly print: PrintCloudJob,
    private readonly log: Logger,
    options: CloudJobOptions,
  ) {
    this.options = {
      spoolDir: options.spoolDir,
      timeoutMs: options.timeoutMs ?? DEFAULT_CLOUD_JOB_OPTIONS.timeoutMs,
      downloadAttempts: options.downloadAttempts ?? DEFAULT_CLOUD_JOB_OPTIONS.downloadAttempts,
      retryDelayMs: options.retryDelayMs ?? DEFAULT_CLOUD_JOB_OPTIONS.retryDelayMs,
      maxDocumentSize: options.maxDocumentSize,
    };
    mkdirSync(options.spoolDir, { recursive: true, mode: 0o700 });
  }

  /** Fetches and prints; a call while a run is going on causes one more run after it. */
  fetchAndPrint(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        let jobs: CloudJob[];
        try {
          jobs = await this.api.fetchJobs(this.printerId);
        } catch (error) {
          this.log.warn({ printerId: this.printerId, err: (error as Error).message }, '/fetch failed');
          return;
        }
        // The connector dedupes repeat deliveries of a job still being printed (GCP §d).
        for (const job of jobs.filter((j) => !this.inFlight.has(j.id))) {
          const final = this.unconfirmed.get(job.id);
          if (final) {
            if (await this.control(job.id, final)) this.unconfirmed.delete(job.id);
            continue;
          }
          this.inFlight.add(job.id);
          await this.printOne(job).finally(() => this.inFlight.delete(job.id));
        }
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Reports the job's state; resolves with whether the cloud took it. */
  private async control(jobId: string, progress: JobProgress): Promise<boolean> {
    try {
      await this.api.control(jobId, { state: progress.state, pages_printed: progress.pagesPrinted });
      return true;
    } catch (error) {
      this.log.warn({ jobId, err: (error as Error).message }, '/control failed');
      return false;
    }
  }

  private async printOne(job: CloudJob): Promise<void> {
    let ticket: unknown;
    try {
      ticket = await this.api.ticket(job.id);
    } catch {
      return void (await this.control(job.id, { state: { type: 'ABORTED', device_action_cause: { error_code: 'INVALID_TICKET' } } }));
    }
    let spooled: Spooled;
    try {
      spooled = await this.spool(job);
    } catch (error) {
      const cause = error instanceof DocumentTooLarge ? 'PRINT_FAILURE' : 'DOWNLOAD_FAILURE';
      this.log.warn({ jobId: job.id, err: (error as Error).message, cause }, 'cloud job aborted: its document was not fetched');
      return void (await this.control(job.id, { state: { type: 'ABORTED', device_action_cause: { error_code: cause } } }));
    }
    // Each change is reported once; resolves with whether the cloud took the last one.
    let last = '';
    let taken = Promise.resolve(true);
    const report = (progress: JobProgress): Promise<boolean> => {
      const key = JSON.stringify([progress.state, progress.pagesPrinted]);
      if (key !== last) [last, taken] = [key, this.control(job.id, progress)];
      return taken;
    };
    const document = createReadStream(spooled.path, { highWaterMark: 1 << 20 });
    try {
      const final = await this.print(job, ticket, document, spooled.contentType, (progress) => void report(progress));
      if (!(await report(final))) this.remember(job.id, final);
    } catch (error) {
      this.log.warn({ jobId: job.id, err: (error as Error).message }, 'cloud job failed');
    } finally {
      document.destroy();
      await rm(spooled.path, { force: true });
    }
  }

  /** A printed job whose final state the cloud did not take: sent again when the job is listed again. */
  private remember(jobId: string, final: JobProgress): void {
    this.unconfirmed.set(jobId, final);
    if (this.unconfirmed.size > MAX_UNCONFIRMED) this.unconfirmed.delete(this.unconfirmed.keys().next().value!);
  }

  /** Downloads the job's document into a spool file, retrying stalls, transport errors and 5xx. */
  private async spool(job: CloudJob): Promise<Spooled> {
    const { downloadAttempts, retryDelayMs } = this.options;
    for (let attempt = 1; ; attempt++) {
      const path = join(this.options.spoolDir, randomUUID());
      try {
        return { path, contentType: await this.download(job, path) };
      } catch (error) {
        await rm(path, { force: true });
        const retry = attempt < downloadAttempts && worthRetrying(error);
        this.log.warn({ jobId: job.id, attempt, err: (error as Error).message }, retry ? 'document download failed; trying again' : 'document download failed');
        if (!retry) throw error;
        await sleep(retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  /** One download into `path`; resolves with the document's content type. */
  private async download(job: CloudJob, path: string): Promise<string> {
    const { timeoutMs, maxDocumentSize } = this.options;
    const abort = new AbortController();
    const stalled = setTimeout(() => abort.abort(new DownloadStalled(`no data for ${timeoutMs} ms`)), timeoutMs);
    try {
      const response = await this.api.download(job.fileUrl, { signal: abort.signal });
      if (!response.body) throw new Error('empty download');
      const contentType = (job.contentType ?? response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      let size = 0;
      const progress = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          stalled.refresh();
          size += chunk.length;
          if (maxDocumentSize !== undefined && size > maxDocumentSize) return callback(new DocumentTooLarge(`the document exceeds ${maxDocumentSize} bytes`));
          callback(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(response.body as ReadableStream<Uint8Array>), progress, createWriteStream(path, { mode: 0o600 }), { signal: abort.signal });
      return contentType;
    } catch (error) {
      throw abort.signal.aborted ? (abort.signal.reason as Error) : error;
    } finally {
      clearTimeout(stalled);
    }
  }
}

/** Empties a spool directory of what a crash left behind; call it before any runner using it starts. */
export function clearSpool(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(dir)) rmSync(join(dir, name), { force: true, recursive: true });
}

function worthRetrying(error: unknown): boolean {
  if (error instanceof DocumentTooLarge) return false;
  if (error instanceof CloudPrintError) return error.retryable;
  return true; // a stall or a connection lost mid-body
}
