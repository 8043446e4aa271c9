// Where printed documents go. The output directory is the virtual printer's
// paper tray: each job becomes DIR/<job>.<ext> plus a DIR/<job>.json sidecar
// (ticket, user, job name, timings, final state). A job is reported done only
// after its bytes and its directory entry are fsynced.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncPath, writeFileAtomic } from '../files/atomic-write.ts';
import type { JobRecord } from './jobs.ts';
import type { JobState } from '../protocol/job-state.ts';

export const EXTENSIONS: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/pwg-raster': 'pwg',
  'application/postscript': 'ps',
};

export interface OutputTarget {
  /** A writable for the job's document; it applies backpressure to its source. */
  open(job: JobRecord): OutputJob;
  /** Records a job whose final state is known. */
  writeSidecar(job: JobRecord): void;
}

export interface PrintOutcome {
  /** Where the document landed (a file, or a CUPS job URI). */
  output: string;
  state: JobState;
  description?: string;
}

export interface OutputJob {
  stream: WriteStream;
  /** Path of the spooled document (complete once `stream` has finished). */
  spoolPath: string;
  /** Prints the spooled document durably; `progress` hears intermediate states. */
  commit(progress: (state: JobState, description?: string) => void): Promise<PrintOutcome>;
  /** Drops a partial document. */
  discard(): Promise<void>;
}

export class DirectoryOutput implements OutputTarget {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  open(job: JobRecord): OutputJob {
    const spoolPath = join(this.dir, `.${job.id}.part`);
    const finalPath = join(this.dir, `${job.id}.${EXTENSIONS[job.contentType ?? ''] ?? 'bin'}`);
    // 1 MiB writes keep syscalls few when streaming large documents.
    const stream = createWriteStream(spoolPath, { highWaterMark: 1 << 20 });
    return {
      stream,
      spoolPath,
      commit: async () => {
        await fsyncPath(spoolPath);
        await rename(spoolPath, finalPath);
        await fsyncPath(this.dir);
        return { output: finalPath, state: { type: 'DONE' } };
      },
      discard: () => rm(spoolPath, { force: true }),
    };
  }

  /** The sidecar, written atomically once the job's final state is known. */
  writeSidecar(job: JobRecord): void {
    writeFileAtomic(join(this.dir, `${job.id}.json`), JSON.stringify(sidecarOf(job), null, 2) + '\n', 0o644);
  }
}

/** What is recorded about a printed job. */
export function sidecarOf(job: JobRecord): Record<string, unknown> {
  return {
    job_id: job.id,
    origin: job.origin,
    job_name: job.name,
    user: job.user,
    client: job.client,
    content_type: job.contentType,
    size: job.size,
    ticket: job.ticket,
    dpi: job.settings?.dpi,
    output_bin: job.settings?.output_bin,
    server_job_id: job.serverJobId,
    document: job.output,
    created: new Date(job.createdAt).toISOString(),
    started: job.startedAt ? new Date(job.startedAt).toISOString() : undefined,
    finished: job.finishedAt ? new Date(job.finishedAt).toISOString() : undefined,
    state: job.state,
    description: job.description,
    pages_printed: job.pagesPrinted,
  };
}
