// Runs the real `ocp` binary: `ocp server` as its own process on free
// loopback ports over a data directory that outlives it (for restarts), and
// one-shot commands such as `ocp user add`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const OCP = new URL('../../bin/ocp', import.meta.url).pathname;

export interface ServerProcess {
  url: string;
  /** Stops the process (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Runs `ocp ARGS` to completion, with `stdin` written to it. */
export async function runOcp(args: string[], stdin?: string, env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  const running = promisify(execFile)(OCP, args, { env: { ...process.env, OCP_LOG_LEVEL: 'silent', ...env } });
  if (stdin !== undefined) running.child.stdin?.end(stdin);
  return running;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `ocp server` on `dataDir` and resolves once it serves, within 30 s. */
export async function startServerProcess(dataDir: string, extraArgs: string[] = []): Promise<ServerProcess> {
  const child = spawn(OCP, ['server', '--data', dataDir, '--host', '127.0.0.1', '--http-port', '0', '--xmpp-port', '0', '--xmpps-port', '0', '--ccs-port', '0', ...extraArgs], {
    env: { ...process.env, OCP_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited(child);
  };
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const deadline = Date.now() + 30_000;
  while (!log.includes('ocp server started')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`ocp server did not start:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const ports = JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as { http: number };
  return { url: `http://127.0.0.1:${ports.http}`, stop };
}
