// Runs one conversion tool as a child process, bounded: a wall-clock
// timeout, a memory cap and a cap on the size of every file it writes. The
// caps are the kernel's own resource limits (RLIMIT_AS, RLIMIT_FSIZE), set by
// `sh -c 'ulimit …; exec tool'` so no cgroup or extra package is needed.
// Chromium reserves far more address space than it uses, so its cap is on
// the resident memory of its whole process group instead, checked by a
// watchdog. The tool runs in a process group of its own: a timeout or a cap
// kills all of it, helpers included.
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { JobState } from '../../protocol/job-state.ts';

export type ConversionCause = NonNullable<JobState['service_action_cause']>['error_code'];

/** A conversion that failed, with the cause its job is aborted with (GCP §d service_action_cause). */
export class ConversionFailure extends Error {
  constructor(
    readonly errorCode: ConversionCause,
    message: string,
  ) {
    super(message);
  }
}

/** A conversion stopped because the server is stopping: its job is left to be converted again at the next start. */
export class ConversionStopped extends Error {}

export interface ToolLimits {
  timeoutMs: number;
  /** Bytes of address space (or of resident memory with `watchResident`). */
  memoryBytes: number;
  /** Bytes any one file the tool writes may reach. */
  maxOutputBytes: number;
}

export interface ToolRun {
  command: string;
  args: string[];
  limits: ToolLimits;
  /** Cap resident memory of the process group by watching it, not address space (Chromium). */
  watchResident?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Aborted when the server stops: the tool is killed. */
  signal?: AbortSignal;
}

/** How often the resident-memory watchdog looks. */
const WATCH_INTERVAL_MS = 200;
/** The most of a tool's error output kept for the log. */
const STDERR_KEPT = 4096;

const SHELL_LIMITS = 'ulimit -v "$1"; ulimit -f "$2"; shift 2; exec "$@"';

export function runTool(run: ToolRun): Promise<void> {
  const { limits } = run;
  // dash counts -v in KiB and -f in 512-byte blocks.
  const addressSpace = run.watchResident ? 'unlimited' : String(Math.ceil(limits.memoryBytes / 1024));
  const fileBlocks = String(Math.ceil(limits.maxOutputBytes / 512));
  const child = spawn('/bin/sh', ['-c', SHELL_LIMITS, 'sh', addressSpace, fileBlocks, run.command, ...run.args], {
    cwd: run.cwd,
    env: run.env ?? { PATH: process.env.PATH, LANG: 'C.UTF-8', HOME: run.cwd ?? '/nonexistent' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < STDERR_KEPT) stderr += text.slice(0, STDERR_KEPT - stderr.length);
  });
  let verdict: Error | undefined;
  const killAll = (failure: Error) => {
    verdict ??= failure;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const stop = () => killAll(new ConversionStopped(`${run.command} was stopped: the server is stopping`));
  if (run.signal?.aborted) stop();
  run.signal?.addEventListener('abort', stop);
  const timer = setTimeout(() => killAll(new ConversionFailure('CONVERSION_ERROR', `${run.command} ran longer than ${limits.timeoutMs} ms and was killed`)), limits.timeoutMs);
  const watchdog = run.watchResident
    ? setInterval(() => {
        void residentBytesOfGroup(child.pid!).then((bytes) => {
          if (bytes > limits.memoryBytes) killAll(new ConversionFailure('CONVERSION_ERROR', `${run.command} used more than ${limits.memoryBytes} bytes of memory and was killed`));
        });
      }, WATCH_INTERVAL_MS)
    : undefined;
  return new Promise((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      clearInterval(watchdog);
      run.signal?.removeEventListener('abort', stop);
    };
    child.on('error', (error) => {
      settle();
      reject(new ConversionFailure('CONVERSION_ERROR', `${run.command} could not be started: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      settle();
      // Helpers of the tool that outlived it go with it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // none left
      }
      if (verdict) return reject(verdict);
      if (signal === 'SIGXFSZ' || code === 128 + 25) return reject(new ConversionFailure('CONVERSION_FILE_TOO_BIG', `${run.command} wrote more than ${limits.maxOutputBytes} bytes`));
      if (code === 0) return resolve();
      const detail = stderr.trim().split('\n').slice(-3).join(' / ');
      reject(new ConversionFailure('CONVERSION_ERROR', `${run.command} failed (${signal ?? `exit code ${code}`})${detail ? `: ${detail}` : ''}`));
    });
  });
}

/**
 * Anonymous resident bytes (RssAnon: heaps and stacks, not the shared
 * libraries every process of the group maps) of the processes of group
 * `pgid`, from /proc (field 5 of stat is the group).
 */
async function residentBytesOfGroup(pgid: number): Promise<number> {
  let total = 0;
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const status = await readFile(`/proc/${name}/status`, 'latin1');
      total += Number(/^RssAnon:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      // exited meanwhile
    }
  }
  return total;
}
