// The print engine: prints one job at a time, from any readable (a Privet
// upload or a cloud download) into the output, validating the document as it
// streams. The panel can stop it (paper out, jam, …: the job turns STOPPED and
// reading pauses, so TCP slows the sender) or cancel the job. With a page
// time, the received document then comes out page by page, pages_printed
// rising; a fault holds the page being printed until it clears.
import { EventEmitter, once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FrontPanel } from './panel.ts';
import type { JobQueue, JobRecord } from './jobs.ts';
import type { JobState } from '../protocol/job-state.ts';
import type { OutputTarget } from './output.ts';
import { InvalidDocument, type DocumentInspector } from './validate.ts';

export class DocumentTooLarge extends Error {}
export class JobCancelled extends Error {}

/** Passes bytes through, feeding the inspector, enforcing the size limit, and holding them while the printer is stopped. */
class PrintGate extends Transform {
  size = 0;
  private held: (() => void) | undefined;
  private stopped = false;

  constructor(
    private readonly inspector: DocumentInspector,
    private readonly maxSize: number,
  ) {
    super({ highWaterMark: 1 << 20 });
  }

  setStopped(stopped: boolean): void {
    this.stopped = stopped;
    if (!stopped && this.held) {
      const release = this.held;
      this.held = undefined;
      release();
    }
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.maxSize) return callback(new DocumentTooLarge(`document exceeds ${this.maxSize} bytes`));
    try {
      this.inspector.update(chunk);
    } catch (error) {
      return callback(error as Error);
    }
    if (this.stopped) this.held = () => callback(null, chunk);
    else callback(null, chunk);
  }
}

export interface PrintRequest {
  job: JobRecord;
  source: Readable;
  inspector: DocumentInspector;
  maxSize: number;
}

export declare interface PrintEngine {
  /** Every state change of a job being printed (for cloud /control). */
  on(event: 'job', listener: (job: JobRecord) => void): this;
  on(event: 'idle', listener: () => void): this;
}

export class PrintEngine extends EventEmitter {
  current: { job: JobRecord; gate: PrintGate; abort: AbortController } | undefined;

  constructor(
    private readonly panel: FrontPanel,
    private readonly jobs: JobQueue,
    private readonly output: OutputTarget,
    /** How long each page takes to come out (0: the whole document at once). */
    private readonly pageTimeMs = 0,
  ) {
    super();
    panel.on('change', () => this.applyPanel());
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Cancels the job being printed (the panel's Cancel button). Returns false when idle. */
  cancelCurrent(): boolean {
    if (!this.current) return false;
    this.current.abort.abort(new JobCancelled('cancelled on the printer'));
    return true;
  }

  private setState(job: JobRecord, state: JobState, description?: string): void {
    job.state = state;
    job.description = description;
    this.emit('job', job);
  }

  private applyPanel(): void {
    const current = this.current;
    if (!current) return;
    const stop = this.panel.stopReason();
    current.gate.setStopped(stop !== undefined);
    if (stop && current.job.state.type !== 'STOPPED') {
      this.setState(current.job, { type: 'STOPPED', device_state_cause: { error_code: stop.cause } }, stop.description);
    } else if (!stop && current.job.state.type === 'STOPPED') {
      this.setState(current.job, { type: 'IN_PROGRESS' });
    }
  }

  /** Brings the pages out one by one, each taking the page time while the printer is not stopped. */
  private async printPages(job: JobRecord, pages: number, signal: AbortSignal): Promise<void> {
    if (this.pageTimeMs === 0) {
      job.pagesPrinted = pages;
      return;
    }
    job.pagesPrinted = 0;
    for (let page = 1; page <= pages; page++) {
      do {
        while (this.panel.stopReason()) await once(this.panel, 'change', { signal });
        await sleep(this.pageTimeMs, undefined, { signal });
        // A page under way when a fault came is printed again once it clears.
      } while (this.panel.stopReason());
      job.pagesPrinted = page;
      this.emit('job', job);
    }
  }

  /**
   * Prints `source` as `job`; resolves with the finished job. Rejects with
   * InvalidDocument, DocumentTooLarge or JobCancelled (the job is then
   * ABORTED) or with the stream's error.
   */
  async print({ job, source, inspector, maxSize }: PrintRequest): Promise<JobRecord> {
    if (this.current) throw new Error('the print engine is busy');
    const gate = new PrintGate(inspector, maxSize);
    const abort = new AbortController();
    this.current = { job, gate, abort };
    job.startedAt = Date.now();
    this.setState(job, { type: 'IN_PROGRESS' });
    this.applyPanel();
    const out = this.output.open(job);
    // The source is piped rather than put in the pipeline, so that an abort
    // does not destroy it: an HTTP upload must still get its answer.
    source.pipe(gate);
    const onSourceError = (error: Error) => gate.destroy(error);
    const onSourceClose = () => {
      if (!source.readableEnded) gate.destroy(new Error('the document stream ended early'));
    };
    source.on('error', onSourceError).on('close', onSourceClose);
    try {
      await pipeline(gate, out.stream, { signal: abort.signal });
      await inspector.finish(out.spoolPath, gate.size);
      job.size = gate.size;
      await this.printPages(job, inspector.pages, abort.signal);
      const outcome = await out.commit((state, description) => this.setState(job, state, description));
      job.output = outcome.output;
      this.jobs.finish(job, outcome.state, outcome.description);
      return job;
    } catch (error) {
      const reason = abort.signal.aborted ? (abort.signal.reason as Error) : (error as Error);
      await out.discard().catch(() => {});
      job.size = gate.size;
      this.jobs.finish(job, abortedState(reason), reason.message);
      throw reason;
    } finally {
      source.unpipe(gate);
      source.off('error', onSourceError).off('close', onSourceClose);
      this.current = undefined;
      this.output.writeSidecar(job);
      this.emit('job', job);
      this.emit('idle');
    }
  }
}

function abortedState(error: Error): JobState {
  if (error instanceof JobCancelled) return { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } };
  if (error instanceof InvalidDocument || error instanceof DocumentTooLarge) return { type: 'ABORTED', device_action_cause: { error_code: 'PRINT_FAILURE' } };
  return { type: 'ABORTED', device_action_cause: { error_code: 'OTHER' } };
}
