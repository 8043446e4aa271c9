// Printing to a real CUPS queue over IPP (Debian `cups`): the document is
// spooled to the data directory as it streams, sent with Print-Job, and the
// CUPS job is followed with Get-Job-Attributes until it ends; its state is
// mapped to a CDD JobState as the original connector did (GCP
// §d item 8). The IPP client is src/cups/client.ts, shared with the connector.
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CupsClient } from '../cups/client.ts';
import { cloudJobStateOf } from '../cups/translate.ts';
import type { JobRecord } from './jobs.ts';
import { sidecarOf, type OutputJob, type OutputTarget, type PrintOutcome } from './output.ts';
import { fsyncPath, writeFileAtomic } from '../files/atomic-write.ts';

const POLL_MS = 1000;

export class CupsOutput implements OutputTarget {
  private readonly cups: CupsClient;

  constructor(
    readonly queue: string,
    /** host:port of cupsd (default: $CUPS_SERVER or localhost:631). */
    private readonly server: string,
    private readonly spoolDir: string,
  ) {
    mkdirSync(spoolDir, { recursive: true });
    this.cups = new CupsClient(server);
  }

  open(job: JobRecord): OutputJob {
    const spoolPath = join(this.spoolDir, `${job.id}.doc`);
    const stream = createWriteStream(spoolPath, { highWaterMark: 1 << 20 });
    return {
      stream,
      spoolPath,
      commit: async (progress): Promise<PrintOutcome> => {
        try {
          await fsyncPath(spoolPath);
          const document = { title: job.name ?? job.id, user: job.user ?? 'privet', format: job.contentType ?? 'application/octet-stream', attributes: {} };
          const cupsJob = await this.cups.printJob(this.queue, document, createReadStream(spoolPath));
          const output = `ipp://${this.server}/jobs/${cupsJob}`;
          let last = '';
          for (;;) {
            const attrs = await this.cups.jobState(this.queue, cupsJob);
            const state = cloudJobStateOf(attrs.state);
            const message = attrs.message;
            if (state.type === 'DONE' || state.type === 'ABORTED') return { output, state, description: message };
            if (JSON.stringify(state) !== last) {
              last = JSON.stringify(state);
              progress(state, message);
            }
            await new Promise((resolve) => setTimeout(resolve, POLL_MS));
          }
        } finally {
          await rm(spoolPath, { force: true });
        }
      },
      discard: () => rm(spoolPath, { force: true }),
    };
  }

  writeSidecar(job: JobRecord): void {
    writeFileAtomic(join(this.spoolDir, `${job.id}.json`), JSON.stringify(sidecarOf(job), null, 2) + '\n', 0o644);
  }
}
