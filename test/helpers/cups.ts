// A private CUPS server for a test: its own cupsd on a free loopback port with
// its own spool, and "printers" that are AppSocket (socket://) listeners in
// this process, so a test sees exactly the bytes CUPS sent to the device.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';
import { tempDir } from './server.ts';

const run = promisify(execFile);

/**
 * `lpadmin` on the private cupsd. CUPS's client gives a connection up when
 * it is not established within its poll (250 ms per try) and then reports
 * "Unable to connect to server: Bad file descriptor" (OpenPrinting/cups#352
 * shows the close(-1)); on a loaded machine a cupsd that answered
 * `lpstat -r` met that once in a full CI run. Such a failure is tried
 * again, up to five times 200 ms apart; any other is the test's.
 */
async function lpadmin(args: string[]): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      await run('lpadmin', args);
      return;
    } catch (error) {
      if (tries === 5 || !String((error as { stderr?: string }).stderr).includes('Unable to connect to server')) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

export interface SocketPrinter {
  queue: string;
  /** Every print job's bytes, one Buffer per connection CUPS made. */
  received: Buffer[];
}

export interface TestCups {
  server: string;
  addQueue(queue: string, options?: { info?: string; location?: string }): Promise<SocketPrinter>;
  deleteQueue(queue: string): Promise<void>;
  /** cupsd's error log so far (LogLevel warn), for a failing test to show. */
  errorLog(): string;
  stop(): Promise<void>;
}

/** `fileDevice`: allow file: device URIs (a file:///dev/null queue for benchmarks). */
export async function startCups(options: { fileDevice?: boolean } = {}): Promise<TestCups> {
  const root = tempDir('ocp-cups-');
  for (const dir of ['spool', 'cache', 'state', 'log', 'ppd']) mkdirSync(join(root, dir));
  // cupsd runs filters and backends as the unprivileged lp user.
  chmodSync(root, 0o755);
  const port = await freePort();
  const server = `127.0.0.1:${port}`;
  writeFileSync(join(root, 'cupsd.conf'), [
    `Listen ${server}`, 'LogLevel warn', 'WebInterface No', 'Browsing No', 'MaxJobs 0', 'PreserveJobHistory Yes',
    '<Location />', '  Order allow,deny', '  Allow 127.0.0.1', '</Location>',
    '<Location /admin>', '  Order allow,deny', '  Allow 127.0.0.1', '</Location>',
    '<Policy default>', '  JobPrivateAccess all', '  JobPrivateValues none', '  SubscriptionPrivateAccess all', '  SubscriptionPrivateValues none',
    '  <Limit All>', '    Order deny,allow', '  </Limit>', '</Policy>', '',
  ].join('\n'));
  writeFileSync(join(root, 'cups-files.conf'), [
    `ServerRoot ${root}`, `RequestRoot ${root}/spool`, `CacheDir ${root}/cache`, `StateDir ${root}/state`, `TempDir ${root}/spool`,
    `ErrorLog ${root}/log/error_log`, `AccessLog ${root}/log/access_log`, `PageLog ${root}/log/page_log`, 'Sandboxing Relaxed',
    ...(options.fileDevice ? ['FileDevice Yes'] : []), '',
  ].join('\n'));
  const cupsd: ChildProcess = spawn('cupsd', ['-f', '-c', join(root, 'cupsd.conf'), '-s', join(root, 'cups-files.conf')], { stdio: 'ignore' });
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await run('lpstat', ['-h', server, '-r']);
      break;
    } catch {
      if (Date.now() > deadline || cupsd.exitCode !== null) throw new Error('private cupsd did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const devices: Server[] = [];
  return {
    server,
    async addQueue(queue, options = {}) {
      const printer: SocketPrinter = { queue, received: [] };
      const device = createServer((socket) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk) => chunks.push(chunk));
        socket.on('end', () => printer.received.push(Buffer.concat(chunks)));
      });
      await new Promise<void>((resolve) => device.listen(0, '127.0.0.1', resolve));
      devices.push(device);
      const devicePort = (device.address() as AddressInfo).port;
      const args = ['-h', server, '-p', queue, '-E', '-v', `socket://127.0.0.1:${devicePort}`, '-m', 'raw'];
      if (options.info) args.push('-D', options.info);
      if (options.location) args.push('-L', options.location);
      await lpadmin(args);
      return printer;
    },
    async deleteQueue(queue) {
      await lpadmin(['-h', server, '-x', queue]);
    },
    errorLog() {
      try {
        return readFileSync(join(root, 'log', 'error_log'), 'utf8');
      } catch {
        return '';
      }
    },
    async stop() {
      cupsd.kill('SIGTERM');
      await new Promise((resolve) => (cupsd.exitCode !== null ? resolve(null) : cupsd.once('exit', resolve)));
      for (const device of devices) device.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
