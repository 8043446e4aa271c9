// The client side of bench/rest-jobs.ts, run in a child process: keep-alive
// HTTP connections, one loop per printer of submit → fetch → control.
import { once } from 'node:events';
import { Agent, request } from 'node:http';

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
}

const [task] = (await once(process, 'message')) as [ClientTask];
const base = new URL(task.url);
const agent = new Agent({ keepAlive: true, maxSockets: task.printers.length * 2 });
const requestTimes: number[] = [];
const jobTimes: number[] = [];

function call(path: string, token: string, body: Buffer | string, contentType: string): Promise<{ status: number; json: Record<string, any> }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: base.port, path: `/cloudprint/${path}`, method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          requestTimes.push(performance.now() - started);
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any> });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const BOUNDARY = 'ocpbenchboundary';
const document = Buffer.alloc(task.documentBytes, 'x');
const ticket = JSON.stringify({ version: '1.0', print: { copies: { copies: 1 } } });

function submitBody(printerId: string, n: number): Buffer {
  const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = field('printerid', printerId) + field('title', `bench ${n}`) + field('contentType', 'application/pdf') + field('ticket', ticket) +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="content"; filename="doc.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), document, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
}

const FORM = 'application/x-www-form-urlencoded';
let jobs = 0;
let errors = 0;
const started = performance.now();
const deadline = started + task.seconds * 1000;

async function loop(printer: { id: string; robotToken: string }): Promise<void> {
  while (performance.now() < deadline && jobs + errors < task.maxJobs) {
    const jobStarted = performance.now();
    const submitted = await call('submit', task.userToken, submitBody(printer.id, jobs), `multipart/form-data; boundary=${BOUNDARY}`);
    const fetched = await call('fetch', printer.robotToken, `printerid=${printer.id}`, FORM);
    const job = (fetched.json.jobs as Array<{ id: string }> | undefined)?.[0];
    if (!submitted.json.success || !job) {
      errors++;
      continue;
    }
    const done = await call('control', printer.robotToken, `jobid=${job.id}&semantic_state_diff=${encodeURIComponent('{"state":{"type":"DONE"}}')}`, FORM);
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
    const reply = await call('noop', task.userToken, 'a=b', FORM);
    if (reply.json.success) jobs++;
    else errors++;
  }
}

await Promise.all(task.printers.map(task.mode === 'jobs' ? loop : noopLoop));
const result: ClientResult = {
  jobs,
  errors,
  seconds: (performance.now() - started) / 1000,
  p50RequestMs: percentile(requestTimes, 50),
  p99RequestMs: percentile(requestTimes, 99),
  p99JobMs: percentile(jobTimes, 99),
};
agent.destroy();
process.send!(result);
