// Printing to a real CUPS queue over IPP (Debian `cups`, with `ipptool` from
// cups-ipp-utils as the IPP client): the document is spooled to the data
// directory as it streams, sent with Print-Job, and the CUPS job is followed
// with Get-Job-Attributes until it ends; its state is mapped to a CDD
// JobState as the original connector did (cloudprint-protocol §d item 8).
import { execFile } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JobRecord, JobState } from './jobs.ts';
import { fsyncPath, sidecarOf, type OutputJob, type OutputTarget, type PrintOutcome } from './output.ts';
import { writeFileAtomic } from './state.ts';

const run = promisify(execFile);
const POLL_MS = 1000;

const PRINT_JOB_TEST = `{
  NAME "Print-Job"
  OPERATION Print-Job
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name $user
  ATTR name job-name $title
  ATTR mimeMediaType document-format $filetype
  FILE $filename
  STATUS successful-ok
  STATUS successful-ok-ignored-or-substituted-attributes
  EXPECT job-id
  DISPLAY job-id
}`;

const GET_JOB_TEST = `{
  NAME "Get-Job-Attributes"
  OPERATION Get-Job-Attributes
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR integer job-id $jobid
  ATTR name requesting-user-name $user
  STATUS successful-ok
  EXPECT job-state
  DISPLAY job-state
  DISPLAY job-state-message
}`;

/** RFC 8011 §5.3.7 job-state → CDD JobState (cloudprint-protocol §d item 8). */
export function jobStateFromCups(state: number): JobState {
  switch (state) {
    case 3: // pending
    case 4: // pending-held
    case 5: // processing
      return { type: 'IN_PROGRESS' };
    case 6: // processing-stopped
      return { type: 'STOPPED', device_action_cause: { error_code: 'OTHER' } };
    case 7: // canceled
      return { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } };
    case 8: // aborted
      return { type: 'ABORTED', device_action_cause: { error_code: 'PRINT_FAILURE' } };
    case 9: // completed
      return { type: 'DONE' };
    default:
      return { type: 'ABORTED', device_action_cause: { error_code: 'OTHER' } };
  }
}

const STATE_NAMES: Record<string, number> = { pending: 3, 'pending-held': 4, processing: 5, 'processing-stopped': 6, canceled: 7, aborted: 8, completed: 9 };

export class CupsOutput implements OutputTarget {
  private readonly printerUri: string;
  private readonly testsDir: string;

  constructor(
    readonly queue: string,
    /** host:port of cupsd (default: $CUPS_SERVER or localhost:631). */
    server: string,
    private readonly spoolDir: string,
  ) {
    mkdirSync(spoolDir, { recursive: true });
    this.printerUri = `ipp://${server}/printers/${encodeURIComponent(queue)}`;
    this.testsDir = join(spoolDir, '.ipp');
    mkdirSync(this.testsDir, { recursive: true });
    writeFileSync(join(this.testsDir, 'print-job.test'), PRINT_JOB_TEST);
    writeFileSync(join(this.testsDir, 'get-job.test'), GET_JOB_TEST);
  }

  private async ipptool(test: string, vars: Record<string, string>, file?: string): Promise<Record<string, string>> {
    const args = ['-t', '-c'];
    for (const [k, v] of Object.entries(vars)) args.push('-d', `${k}=${v}`);
    if (file) args.push('-f', file);
    args.push(this.printerUri, join(this.testsDir, test));
    const { stdout } = await run('ipptool', args, { timeout: 30_000 });
    // -c prints CSV: a header line of the DISPLAYed names, then their values.
    const [header, values] = stdout.trim().split('\n').slice(-2);
    const keys = (header ?? '').split(',');
    const cells = (values ?? '').split(',');
    return Object.fromEntries(keys.map((k, i) => [k.trim(), (cells[i] ?? '').replace(/^"|"$/g, '').trim()]));
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
          const printed = await this.ipptool('print-job.test', { user: job.user ?? 'privet', title: job.name ?? job.id, filetype: job.contentType ?? 'application/octet-stream' }, spoolPath);
          const cupsJob = printed['job-id'];
          if (!cupsJob) throw new Error(`CUPS did not accept the job: ${JSON.stringify(printed)}`);
          const output = `${this.printerUri}/${cupsJob}`;
          let last = '';
          for (;;) {
            const attrs = await this.ipptool('get-job.test', { jobid: cupsJob, user: job.user ?? 'privet' });
            const state = jobStateFromCups(STATE_NAMES[attrs['job-state'] ?? ''] ?? Number(attrs['job-state']));
            const message = attrs['job-state-message'] || undefined;
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
