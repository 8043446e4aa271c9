// The device side of a cloud print job [cloudprint-protocol.md §d]: /fetch the
// printer's QUEUED jobs, then for each: /ticket, download the document, print
// it, and report every change of state with /control (only when the diff
// changes, as the original connector did). Failures before printing abort the
// job with the cause the original used.
import { Readable } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import type { CloudJob, CloudPrintApi } from './cloudprint-api.ts';
import type { Logger } from '../log.ts';
import type { JobState } from '../cloud/shapes.ts';

export interface JobProgress {
  state: JobState;
  pagesPrinted?: number;
}

/** Prints one downloaded job; calls `report` with each new state and resolves with the final one. */
export type PrintCloudJob = (job: CloudJob, ticket: unknown, document: Readable, contentType: string, report: (progress: JobProgress) => void) => Promise<JobProgress>;

export class CloudJobRunner {
  private readonly inFlight = new Set<string>();
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly api: CloudPrintApi,
    private readonly printerId: string,
    private readonly print: PrintCloudJob,
    private readonly log: Logger,
  ) {}

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
        // The connector dedupes repeat deliveries of a job still being printed (§d).
        for (const job of jobs.filter((j) => !this.inFlight.has(j.id))) {
          this.inFlight.add(job.id);
          await this.printOne(job).finally(() => this.inFlight.delete(job.id));
        }
      } while (this.again);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  private async control(jobId: string, progress: JobProgress): Promise<void> {
    try {
      await this.api.control(jobId, { state: progress.state, pages_printed: progress.pagesPrinted });
    } catch (error) {
      this.log.warn({ jobId, err: (error as Error).message }, '/control failed');
    }
  }

  private async printOne(job: CloudJob): Promise<void> {
    let ticket: unknown;
    try {
      ticket = await this.api.ticket(job.id);
    } catch {
      return this.control(job.id, { state: { type: 'ABORTED', device_action_cause: { error_code: 'INVALID_TICKET' } } });
    }
    let document: Readable;
    let contentType: string;
    try {
      const response = await this.api.download(job.fileUrl);
      if (!response.body) throw new Error('empty download');
      contentType = (job.contentType ?? response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      document = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
    } catch {
      return this.control(job.id, { state: { type: 'ABORTED', device_action_cause: { error_code: 'DOWNLOAD_FAILURE' } } });
    }
    let last = '';
    const report = async (progress: JobProgress) => {
      const key = JSON.stringify([progress.state, progress.pagesPrinted]);
      if (key === last) return;
      last = key;
      await this.control(job.id, progress);
    };
    try {
      const final = await this.print(job, ticket, document, contentType, (progress) => void report(progress));
      await report(final);
    } catch (error) {
      document.destroy();
      this.log.warn({ jobId: job.id, err: (error as Error).message }, 'cloud job failed');
    }
  }
}
