// `ocp server` in its own process for benchmarks, so that its memory and CPU
// can be measured apart from the load generators (read from /proc).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OCP = fileURLToPath(new URL('../../bin/ocp', import.meta.url));
const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

export interface ServerProcess {
  pid: number;
  ports: Record<string, number>;
  url: string;
  caPath: string;
  /** Resident set size, KiB. */
  rssKb(): number;
  /** User + system CPU time so far, seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export async function startServerProcess(dataDir: string, args: string[] = []): Promise<ServerProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    // BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof", profiles the server.
    [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), OCP, 'server', '--data', dataDir, '--host', '127.0.0.1', '--http-port', '0', '--xmpp-port', '0', '--xmpps-port', '0', '--ccs-port', '-1', '--log-level', 'warn', ...args],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const portsFile = join(dataDir, 'ports.json');
  const deadline = Date.now() + 30_000;
  while (!existsSync(portsFile)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('ocp server did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const ports = JSON.parse(readFileSync(portsFile, 'utf8')) as Record<string, number>;
  const pid = child.pid!;
  return {
    pid,
    ports,
    url: `http://127.0.0.1:${ports.http}`,
    caPath: join(dataDir, 'tls', 'ca.pem'),
    ...processStats(pid),
    stop: () => stopChild(child),
  };
}

/** The bare TLS server of tls-baseline-server.ts, in the same shape (its port is `xmpps`). */
export async function startTlsBaseline(dataDir: string): Promise<ServerProcess> {
  const script = fileURLToPath(new URL('./tls-baseline-server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { port } = await new Promise<{ port: number }>((resolve, reject) => {
    child.stdout!.once('data', (line: Buffer) => resolve(JSON.parse(line.toString()) as { port: number }));
    child.once('exit', () => reject(new Error('baseline server did not start')));
  });
  return { pid: child.pid!, ports: { xmpps: port }, url: '', caPath: join(dataDir, 'tls', 'ca.pem'), ...processStats(child.pid!), stop: () => stopChild(child) };
}

function processStats(pid: number): Pick<ServerProcess, 'rssKb' | 'cpuSeconds'> {
  return {
    rssKb: () => rssKbOf(pid),
    cpuSeconds: () => cpuSecondsOf(pid),
  };
}

/** Resident set size of process `pid`, KiB. */
export function rssKbOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** User + system CPU seconds that process `pid` has used so far. */
export function cpuSecondsOf(pid: number): number {
  // Fields after the command name: state is field 3, utime 14, stime 15.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/** CPU seconds of process `pid` and its living children (a node:cluster primary and its workers). */
export function processTreeCpuSeconds(pid: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  return children.reduce((sum, child) => sum + cpuSecondsOf(child), cpuSecondsOf(pid));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}
