// The client side of bench/rest-jobs.ts, run in a child process: keep-alive
// HTTP connections, one loop per printer of submit → fetch → control.
//
// The loops first run for `warmupSeconds` unmeasured: both processes start
// cold, and a run measured from its first request spent its first seconds at
// a third to a half of the steady rate. When the warm-up ends the client sends
// 'measuring' so that the parent starts its own measurements; only what
// completes after that counts.
import { once } from 'node:events';
import { CloudHttp, type CloudReply } from './_cloud-http.ts';
import { cpuSecondsSince, percentile, round } from './lib/stats.ts';

export interface ClientTask {
  /** `jobs`: submit → fetch → control per printer; `noop`: the same number of loops posting to an empty route (calibration). */
  mode: 'jobs' | 'noop';
  url: string;
  userToken: string;
  printers: Array<{ id: string; robotToken: string }>;
  warmupSeconds: number;
  seconds: number;
  maxJobs: number;
  documentBytes: number;
}

export interface ClientResult {
  /** Completed jobs (or, in noop mode, requests) in the measured window. */
  jobs: number;
  errors: number;
  seconds: number;
  p50RequestMs: number;
  p99RequestMs: number;
  p99JobMs: number;
  /** Jobs completed in each whole second of the measured window: the machine's drift shows here. */
  windowJobsPerSecond: number[];
  /** This process's CPU time (user + system) during the measured window. */
  cpuSeconds: number;
}

/** What the client sends its parent: 'measuring' when the warm-up ends, then its result. */
export type ClientMessage = 'measuring' | ClientResult;
const send = (message: ClientMessage) => process.send!(message);

const [task] = (await once(process, 'message')) as [ClientTask];
const cloud = new CloudHttp(task.url, task.printers.length * 2);
const document = Buffer.alloc(task.documentBytes, 'x');
const FORM = 'application/x-www-form-urlencoded';

// The window opens when the parent is told, so that both sides measure the same one.
let measuring = false;
let measureFrom = Infinity;
let deadline = Infinity;
let cpuBefore = process.cpuUsage();
setTimeout(() => {
  measuring = true;
  measureFrom = performance.now();
  deadline = measureFrom + task.seconds * 1000;
  cpuBefore = process.cpuUsage();
  send('measuring');
}, task.warmupSeconds * 1000);

const requestTimes: number[] = [];
const jobTimes: number[] = [];
/** When each measured job completed, in milliseconds since the window opened. */
const jobEnds: number[] = [];
let jobs = 0;
let errors = 0;

async function timed(request: Promise<CloudReply>): Promise<CloudReply> {
  const sent = performance.now();
  const reply = await request;
  if (measuring) requestTimes.push(performance.now() - sent);
  return reply;
}

function finished(ok: boolean, jobStarted: number): void {
  if (!measuring) return;
  if (!ok) {
    errors++;
    return;
  }
  const now = performance.now();
  jobs++;
  jobTimes.push(now - jobStarted);
  jobEnds.push(now - measureFrom);
}

const running = () => performance.now() < deadline && jobs + errors < task.maxJobs;

async function loop(printer: { id: string; robotToken: string }): Promise<void> {
  while (running()) {
    const jobStarted = performance.now();
    const submitted = await timed(cloud.submit(task.userToken, printer.id, `bench ${jobs}`, document));
    const fetched = await timed(cloud.post('fetch', printer.robotToken, `printerid=${printer.id}`, FORM));
    const job = (fetched.json.jobs as Array<{ id: string }> | undefined)?.[0];
    if (!submitted.json.success || !job) {
      finished(false, jobStarted);
      continue;
    }
    const done = await timed(cloud.post('control', printer.robotToken, `jobid=${job.id}&semantic_state_diff=${encodeURIComponent('{"state":{"type":"DONE"}}')}`, FORM));
    finished(Boolean(done.json.success), jobStarted);
  }
}

async function noopLoop(): Promise<void> {
  while (running()) {
    const sent = performance.now();
    const reply = await timed(cloud.post('noop', task.userToken, 'a=b', FORM));
    finished(Boolean(reply.json.success), sent);
  }
}

function perSecond(ends: number[], seconds: number): number[] {
  const counts = new Array<number>(Math.floor(seconds)).fill(0);
  for (const end of ends) if (end < counts.length * 1000) counts[Math.floor(end / 1000)]!++;
  return counts;
}

await Promise.all(task.printers.map(task.mode === 'jobs' ? loop : noopLoop));
const cpuSeconds = cpuSecondsSince(cpuBefore);
const seconds = (performance.now() - measureFrom) / 1000;
const result: ClientResult = {
  jobs,
  errors,
  seconds,
  p50RequestMs: round(percentile(requestTimes, 50)),
  p99RequestMs: round(percentile(requestTimes, 99)),
  p99JobMs: round(percentile(jobTimes, 99)),
  windowJobsPerSecond: perSecond(jobEnds, seconds),
  cpuSeconds,
};
cloud.close();
send(result);
