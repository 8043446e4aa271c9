// Runs a real `ocp printer` child process for tests, and speaks Privet to it
// over HTTP. Every printer gets its own temp data dir and free ports.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, type TestUser } from '../helpers/cloud.ts';
import { waitFor } from '../helpers/wait.ts';

const OCP = resolve(import.meta.dirname, '../../bin/ocp');

export interface TestPrinter {
  dataDir: string;
  outputDir: string;
  child: ChildProcess;
  privet: string;
  panel: string;
  log(): string;
  /** GET /privet/info with an empty token. */
  info(): Promise<Record<string, unknown>>;
  /** A fresh token from /privet/info. */
  token(): Promise<string>;
  call(path: string, init?: { method?: string; token?: string | null; body?: string | Buffer; headers?: Record<string, string> }): Promise<{ status: number; json: Record<string, unknown> }>;
  panelPost(path: string, body?: unknown): Promise<Record<string, unknown>>;
  panelState(): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  cleanup(): void;
}

export interface PrinterLaunch {
  name?: string;
  cloud?: string;
  dataDir?: string;
  args?: string[];
  env?: Record<string, string>;
  /** Run inside this network namespace (ip netns exec). */
  netns?: string;

}

export { tempDir, waitFor };

/** A registration as if the printer had been claimed earlier (for tests that need a registered printer without a cloud). */
export function seedRegistration(dataDir: string, printerId = 'seeded-printer-id', settings: Record<string, unknown> = {}): void {
  const file = join(dataDir, 'state.json');
  const state = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  state.registration = { printerId, xmppJid: 'robot@localhost', refreshToken: 'seeded-refresh-token', owner: 'owner@example.com' };
  state.localSettings = { local_discovery: true, access_token_enabled: true, 'printer/local_printing_enabled': true, 'printer/conversion_printing_enabled': true, xmpp_timeout_value: 300, ...settings };
  writeFileSync(file, JSON.stringify(state));
}


export async function startPrinter(launch: PrinterLaunch = {}): Promise<TestPrinter> {
  const dataDir = launch.dataDir ?? tempDir();
  const outputDir = join(dataDir, 'output');
  rmSync(join(dataDir, 'ports.json'), { force: true });
  const argv = [OCP, 'printer', '--name', launch.name ?? 'Test Printer', '--cloud', launch.cloud ?? 'http://127.0.0.1:9', '--data', dataDir, ...(launch.args?.includes('--cups') ? [] : ['--output', outputDir]), '--log-level', 'debug', '--no-console', ...(launch.args ?? [])];
  const full = [...(launch.netns ? ['ip', 'netns', 'exec', launch.netns] : []), process.execPath, ...argv];
  const [command, ...args] = full as [string, ...string[]];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...launch.env } });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = once(child, 'exit');
  // A test run that dies (timeout, crash) must not leave printers behind.
  const reap = () => child.kill('SIGKILL');
  process.on('exit', reap);
  void exited.then(() => process.off('exit', reap));
  const ports = await waitFor('printer ports.json', () => {
    if (child.exitCode !== null) throw new Error(`printer exited early:\n${output}`);
    if (!existsSync(join(dataDir, 'ports.json'))) return undefined;
    const found = JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as { privet: number; panel: number };
    return found.privet && found.panel ? found : undefined;
  }, 30_000);
  const host = launch.netns ? undefined : '127.0.0.1';
  const privet = `http://${host ?? '127.0.0.1'}:${ports.privet}`;
  const panel = `http://127.0.0.1:${ports.panel}`;
  const printer: TestPrinter = {
    dataDir,
    outputDir,
    child,
    privet,
    panel,
    log: () => output,
    async info() {
      return (await printer.call('/privet/info', { token: '' })).json;
    },
    async token() {
      return String((await printer.info())['x-privet-token']);
    },
    async call(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      if (init.token !== null) headers['X-Privet-Token'] = init.token ?? (await printer.token());
      const response = await fetch(privet + path, { method: init.method ?? 'GET', headers, body: init.body as BodyInit | undefined });
      const text = await response.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = { text };
      }
      return { status: response.status, json };
    },
    async panelPost(path, body = {}) {
      const response = await fetch(panel + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await response.json()) as Record<string, unknown>;
    },
    async panelState() {
      return (await (await fetch(panel + '/panel/state')).json()) as Record<string, unknown>;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
    },
    cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return printer;
}

/** A minimal, structurally valid PDF with `pages` pages and an optional padding stream of `padding` bytes. */
export function makePdf(pages = 1, text = 'Hello Privet'): Buffer {
  const objects: string[] = [];
  const kids = Array.from({ length: pages }, (_, i) => `${4 + i * 2} 0 R`).join(' ');
  objects.push('<< /Type /Catalog /Pages 2 0 R >>');
  objects.push(`<< /Type /Pages /Kids [${kids}] /Count ${pages} >>`);
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  for (let i = 0; i < pages; i++) {
    const content = `BT /F1 24 Tf 72 720 Td (${text} ${i + 1}) Tj ET`;
    objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + i * 2} 0 R >>`);
    objects.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
  }
  let body = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(body.length);
    body += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = body.length;
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

/** A real PWG raster rendered by Ghostscript from `pdf`. */
export function makePwg(pdf: Buffer, dpi = 30): Buffer {
  return execFileSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=pwgraster', `-r${dpi}`, '-sOutputFile=-', '-'], { input: pdf, maxBuffer: 64 << 20 });
}

/** Starts a POST whose body is sent only partly; returns the request and a promise of the reply. */
export function slowUpload(url: string, headers: Record<string, string>, first: Buffer, totalLength: number) {
  const req = request(url, { method: 'POST', headers: { ...headers, 'Content-Length': String(totalLength) } });
  const reply = new Promise<{ status: number; json: Record<string, unknown> }>((resolveReply, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolveReply({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
  });
  req.write(first);
  return { req, reply };
}

/**
 * Registers `printer` (started with --auto-confirm) for `owner` the way Chrome
 * does: start, getClaimToken, confirm in the cloud, complete. Returns the id.
 */
export async function registerThroughPrivet(printer: TestPrinter, cloudUrl: string, owner: { email: string; token: string }): Promise<string> {
  const register = (action: string) => printer.call(`/privet/register?action=${action}&user=${encodeURIComponent(owner.email)}`, { method: 'POST' });
  await register('start');
  const claim = await waitFor('claim token', async () => {
    const reply = await register('getClaimToken');
    return reply.json.error === 'pending_user_action' ? undefined : reply.json;
  });
  const confirmed = await fetch(`${cloudUrl}/cloudprint/confirm`, { method: 'POST', headers: { Authorization: `Bearer ${owner.token}` }, body: new URLSearchParams({ token: String(claim.token) }) });
  if (!((await confirmed.json()) as { success: boolean }).success) throw new Error('confirm failed');
  const id = String((await register('complete')).json.device_id);
  await waitFor('online', async () => (await printer.info()).connection_state === 'online');
  return id;
}

/** The flags that point a printer at a test server's XMPP port and private CA. */
export function cloudArgs(server: { dataDir: string; ports: Record<string, number> }): string[] {
  return ['--xmpp', `xmpps://127.0.0.1:${server.ports.xmpps}`, '--ca', join(server.dataDir, 'tls', 'ca.pem')];
}

/** A test server with a user and a virtual printer claimed into their account. */
export interface ClaimedPrinter {
  /** A test that restarts the server or the printer puts the new one here, for stop(). */
  server: TestServer;
  printer: TestPrinter;
  owner: TestUser;
  printerId: string;
  /** Stops the printer and the server (the current ones), and removes their directories. */
  stop(): Promise<void>;
}

async function stopBoth(printer: TestPrinter | undefined, server: TestServer): Promise<void> {
  await printer?.stop();
  printer?.cleanup();
  await server.stop();
}

/**
 * Starts a server, a user and a printer (no mDNS, registration confirmed
 * without the panel, `args` added) and claims it through Privet, as Chrome
 * would. stop() takes everything down again; a failed start stops what it
 * started.
 */
export async function startClaimedPrinter(args: string[] = []): Promise<ClaimedPrinter> {
  const server = await startTestServer();
  let printer: TestPrinter | undefined;
  try {
    const owner = await createUser(server);
    printer = await startPrinter({ cloud: server.url, args: ['--no-mdns', '--auto-confirm', ...args, ...cloudArgs(server)] });
    const printerId = await registerThroughPrivet(printer, server.url, owner);
    const claimed: ClaimedPrinter = { server, printer, owner, printerId, stop: () => stopBoth(claimed.printer, claimed.server) };
    return claimed;
  } catch (error) {
    await stopBoth(printer, server);
    throw error;
  }
}

/** Waits (20 s at most) until the claimed printer's job `id`, as its owner lists it, meets `until`. */
export function waitForCloudJob(claimed: Pick<ClaimedPrinter, 'server' | 'owner' | 'printerId'>, id: string, until: (job: Record<string, any>) => boolean): Promise<Record<string, any>> {
  return waitFor(`cloud job ${id}`, async () => {
    const jobs = (await cloudApi(claimed.server, 'jobs', { printerid: claimed.printerId }, { token: claimed.owner.token })).body.jobs as Array<Record<string, any>>;
    const job = jobs.find((j) => j.id === id);
    return job && until(job) ? job : undefined;
  }, 20_000);
}
