// A private redis-server on a free loopback port, for the tests in which
// Redis goes away and comes back: killed as in a crash, started again empty
// (no persistence), as an operator's Redis restarting would be.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { freePort } from './ports.ts';
import { waitFor } from './wait.ts';

export interface TestRedis {
  readonly port: number;
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  /** Kills it (SIGKILL) and waits for it to exit; nothing if it is not running. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty; does not wait for it to answer (ready()). */
  start(): void;
  /** Resolves once it accepts connections. */
  ready(): Promise<void>;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** Starts redis-server and resolves once it answers. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: TestRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    start() {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
    async ready() {
      await waitFor('redis-server', () => answers(port).then((up) => up || undefined), 10_000);
    },
  };
  redis.start();
  await redis.ready();
  return redis;
}
