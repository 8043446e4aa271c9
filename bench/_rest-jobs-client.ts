// The client side of bench/rest-jobs.ts, run in a child process: keep-alive
// HTTP connections, one loop per printer of submit → fetch → control.
import { once } from 'node:events';
import { CloudHttp, type CloudReply } from './_cloud-http.ts';

export interface ClientTask {
  /** `jobs`: submit → fetch → control per printer; `noop`: the same number of loops posting to an empty route (calibration). */
  mode: 'jobs' | 'noop';
  url: string;
  userToken: string;
  printers: Array<{ id: string; robotToken: string }>;
  seconds: number;
  maxJobs: number;
  documentBytes: number;
}

export interface ClientResult {
  /** Completed jobs (or, in noop mode, requests). */
  jobs: number;
  errors: number;
  seconds: number;
  p50RequestMs: number;
  p99RequestMs: number;
  p99JobMs: number;
  /** This process's CPU time (user + system) during the loops. */
  cpuSeconds: number;
}

const [task] = (await once(process, 'message')) as [ClientTask];
const cloud = new CloudHttp(task.url, task.printers.length * 2);
const document = Buffer.alloc(task.documentBytes, 'x');
const FORM = 'application/x-www-form-urlencoded';
const requestTimes: number[] = [];
const jobTimes: number[] = [];

async function timed(request: Promise<CloudReply>): Promise<CloudReply> {
  const started = performance.now();
  const reply = await request;
  requestTimes.push(performance.now() - started);
  return reply;
}

let jobs = 0;
let errors = 0;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const deadline = started + task.seconds * 1000;

async function loop(printer: { id: string; robotToken: string }): Promise<void> {
  while (performance.now() < deadline && jobs + errors < task.maxJobs) {
    const jobStarted = performance.now();
    const submitted = await timed(cloud.submit(task.userToken, printer.id, `bench ${jobs}`, document));
    const fetched = await timed(cloud.post('fetch', printer.robotToken, `printerid=${printer.id}`, FORM));
    const job = (fetched.json.jobs as Array<{ id: string }> | undefined)?.[0];
    if (!submitted.json.success || !job) {
      errors++;
      continue;
    }
    const done = await timed(cloud.post('control', printer.robotToken, `jobid=${job.id}&semantic_state_diff=${encodeURIComponent('{"state":{"type":"DONE"}}')}`, FORM));
    if (!done.json.success) errors++;
    else jobs++;
    jobTimes.push(performance.now() - jobStarted);
  }
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 100) / 100;
};

async function noopLoop(): Promise<void> {
  while (performance.now() < deadline && jobs < task.maxJobs) {
    const reply = await timed(cloud.post('noop', task.userToken, 'a=b', FORM));
    if (reply.json.success) jobs++;
    else errors++;
  }
}

await Promise.all(task.printers.map(task.mode === 'jobs' ? loop : noopLoop));
const cpu = process.cpuUsage(cpuBefore);
const result: ClientResult = {
  jobs,
  errors,
  seconds: (performance.now() - started) / 1000,
  p50RequestMs: percentile(requestTimes, 50),
  p99RequestMs: percentile(requestTimes, 99),
  p99JobMs: percentile(jobTimes, 99),
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
};
cloud.close();
process.send!(result);
