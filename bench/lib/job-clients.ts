// Runs bench/_rest-jobs-client.ts in a child process, so that the server's
// CPU time is measured apart from the load generator's.
import { fork } from 'node:child_process';
import type { ClientMessage, ClientResult, ClientTask } from '../_rest-jobs-client.ts';
import { cpuMsPer, percentile } from './stats.ts';

/** Resolves with the client's result; `onMeasuring` runs when its measured window opens (after the warm-up). */
export function runJobClients(task: ClientTask, onMeasuring: () => void): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL('../_rest-jobs-client.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
    child.on('message', (message: ClientMessage) => {
      if (message === 'measuring') return onMeasuring();
      resolve(message);
      child.disconnect();
    });
    child.once('error', reject);
    child.once('exit', (code) => code && reject(new Error(`rest-jobs client exited with ${code}`)));
    child.send(task);
  });
}

/** The command-line options of the job benchmarks (rest-jobs, rest-floor), for node:util parseArgs. */
export const JOB_LOAD_OPTIONS = {
  warmup: { type: 'string', default: '5' },
  seconds: { type: 'string', default: '10' },
  concurrency: { type: 'string', default: '4' },
  'max-jobs': { type: 'string', default: '100000' },
  'document-bytes': { type: 'string', default: '4096' },
} as const;

export type JobLoad = Pick<ClientTask, 'warmupSeconds' | 'seconds' | 'maxJobs' | 'documentBytes'> & { concurrency: number };

/** The load those options ask for; throws on a value that is not a number or is below its least. */
export function jobLoadOf(values: Record<keyof typeof JOB_LOAD_OPTIONS, string | undefined>): JobLoad {
  const number = (name: keyof typeof JOB_LOAD_OPTIONS) => {
    const least = name === 'warmup' ? 0 : 1;
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < least) throw new Error(`--${name} must be a number of at least ${least}, got ${values[name]}`);
    return value;
  };
  return { warmupSeconds: number('warmup'), seconds: number('seconds'), concurrency: number('concurrency'), maxJobs: number('max-jobs'), documentBytes: number('document-bytes') };
}

/** The figures both job benchmarks print, from the client's result and the server's CPU seconds over the same window. */
export function jobFigures(result: ClientResult, serverCpuSeconds: number) {
  return {
    jobsPerSecond: Math.round(result.jobs / result.seconds),
    // The same run second by second: this shared machine's speed drifts within a run.
    medianWindowJobsPerSecond: percentile(result.windowJobsPerSecond, 50),
    windowJobsPerSecond: result.windowJobsPerSecond,
    p50RequestMs: result.p50RequestMs,
    p99RequestMs: result.p99RequestMs,
    p99JobMs: result.p99JobMs,
    // The least load-dependent figure: the server's CPU time per job.
    serverCpuMsPerJob: cpuMsPer(serverCpuSeconds, result.jobs),
    // The load generator shares the machine's cores with the server.
    clientCpuMsPerJob: cpuMsPer(result.cpuSeconds, result.jobs),
    jobs: result.jobs,
    errors: result.errors,
  };
}
