// `ocp print --wait`: follows a cloud job until it ends. Changes come over the
// server's printer-change stream (src/client/printer-events.ts), the one the
// web console watches; at each change of the job's printer the job is read
// again through /cloudprint/jobs. Where the stream cannot be had (an older
// server, a proxy that refuses it) the job is read every `pollMs` instead.
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudPrintError, type CloudPrintApi } from '../client/cloudprint-api.ts';
import { EventStreamRefused, printerEvents } from '../client/printer-events.ts';
import { jobJson, type JobJson } from './json-shapes.ts';

/** How often the job is read when the event stream cannot be had (--poll-interval). */
export const DEFAULT_POLL_SECONDS = 2;

export interface FollowOptions {
  api: CloudPrintApi;
  cloudUrl: string;
  accessToken: () => Promise<string>;
  printerId: string;
  jobId: string;
  pollMs: number;
  /** Told each state the job passes through (and why it falls back to polling). */
  onUpdate?: (job: JobJson) => void;
  onNotice?: (text: string) => void;
  signal: AbortSignal;
}

/** How a followed job ended: its last state, or gone with the reason. */
export type JobEnd = { job: JobJson } | { gone: string };

const FINAL = new Set(['DONE', 'ABORTED']);

export async function followJob(options: FollowOptions): Promise<JobEnd> {
  let lastSeen = '';
  const check = async (): Promise<JobEnd | undefined> => {
    const found = await options.api.jobs({ printerid: options.printerId }).then(
      ({ jobs }) => jobs.find((job) => job.id === options.jobId),
      // The jobs of a printer that is gone are refused: whether it is, is the printer's to say.
      (error: unknown) => (error instanceof CloudPrintError && error.kind !== 'offline' ? undefined : Promise.reject(error)),
    );
    if (!found) {
      const printer = await options.api.printer(options.printerId);
      return { gone: printer ? `job ${options.jobId} was deleted` : `printer ${options.printerId} was deleted` };
    }
    const job = jobJson(found);
    const seen = `${job.state}/${job.pagesPrinted}`;
    if (seen !== lastSeen) options.onUpdate?.(job);
    lastSeen = seen;
    return FINAL.has(job.state) ? { job } : undefined;
  };

  // Live: one stream at a time; one that ends (its token expired) is opened again with a fresh token.
  for (;;) {
    const connection = new AbortController();
    const abort = () => connection.abort();
    options.signal.addEventListener('abort', abort, { once: true });
    let ready = false;
    let checking = false;
    try {
      for await (const event of printerEvents(options.cloudUrl, await options.accessToken(), connection.signal)) {
        if (event.type === 'ready') ready = true;
        else if (event.printerId !== options.printerId) continue;
        checking = true;
        const end = await check();
        checking = false;
        if (end) return end;
      }
      if (options.signal.aborted) throw options.signal.reason;
      if (!ready) {
        options.onNotice?.(`no live updates (the event stream closed at once); reading the job every ${options.pollMs / 1000} s`);
        break;
      }
      await sleep(options.pollMs, undefined, { signal: options.signal });
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason;
      if (checking) throw error; // reading the job failed, not the stream
      if (ready && !(error instanceof EventStreamRefused)) {
        await sleep(options.pollMs, undefined, { signal: options.signal }); // dropped: open it again
        continue;
      }
      options.onNotice?.(`no live updates (${(error as Error).message}); reading the job every ${options.pollMs / 1000} s`);
      break;
    } finally {
      options.signal.removeEventListener('abort', abort);
      connection.abort();
    }
  }

  // Polling.
  for (;;) {
    const end = await check();
    if (end) return end;
    await sleep(options.pollMs, undefined, { signal: options.signal });
  }
}
