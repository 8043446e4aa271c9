// `npm run bench -- ccs-throughput [--devices N] [--messages M] [--window W]`
//
// One app-server connection (window W, default 100) sends M downstream
// messages round-robin to N connected devices (default 10,000) that ACK each
// one. The server is a real `ocp server` child process with durable SQLite
// storage; devices run in separate load-generator processes, the app server
// in another. Prints end-to-end messages/s (first send → last device
// receipt), p50/p99 send→ACK latency at the app server, p99 send→device
// latency, and the server's CPU time per message (from /proc).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/db.ts';
import { Accounts } from '../src/auth/accounts.ts';
import { Senders } from '../src/ccs/service/senders.ts';
import { Registrations } from '../src/ccs/service/registrations.ts';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    messages: { type: 'string', default: '100000' },
    window: { type: 'string', default: '100' },
    'device-procs': { type: 'string', default: '2' },
    'time-limit': { type: 'string', default: '600' },
  },
});
const DEVICES = Number(values.devices);
const MESSAGES = Number(values.messages);
const WINDOW = Number(values.window);
const PROCS = Number(values['device-procs']);
const here = new URL('.', import.meta.url).pathname;
const ocp = new URL('../bin/ocp', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'ocp-bench-ccs-'));
const children: ChildProcess[] = [];
const log = (message: string) => process.stderr.write(`[ccs-throughput] ${message}\n`);

function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15)
  return (ticks * 1e6) / 100; // USER_HZ = 100 on Linux
}

function lines(child: ChildProcess, onLine: (event: Record<string, any>) => void): void {
  createInterface({ input: child.stdout! }).on('line', (line) => onLine(JSON.parse(line) as Record<string, any>));
}

function waitUntil(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (condition()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() > deadline) {
        clearInterval(timer);
        reject(new Error(`timed out: ${what}`));
      }
    }, 20);
  });
}

function cleanup(): void {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}
process.on('exit', cleanup);
const hardStop = setTimeout(() => {
  log('time limit reached');
  process.exit(1);
}, Number(values['time-limit']) * 1000).unref();

// 1. Sender and device registrations, written straight into the store.
log(`seeding ${DEVICES} devices`);
const store = await openStore({ database: 'sqlite', dataDir });
const { sender_id, api_key } = await new Senders(store.db).create('bench');
const devices: Array<{ jid: string; password: string; token: string }> = [];
const accounts = new Accounts(store.db, { accessTokenTtlSeconds: 3600 });
const registrations = new Registrations(store.db);
for (let i = 0; i < DEVICES; i++) {
  const account = await accounts.createDevice();
  const password = await accounts.issueApiToken(account.id);
  const registration = await registrations.register({ accountId: account.id, jidLocal: account.jid_local }, sender_id, 'com.example.bench');
  devices.push({ jid: `${account.jid_local}@localhost`, password, token: registration.registration_id });
}
await store.close();

// 2. The server.
const flags = ['--data', dataDir, '--host', '127.0.0.1', '--http-port', '0', '--xmpp-port', '-1', '--xmpps-port', '0', '--ccs-port', '0', '--ccs-device-rate', '0', '--ccs-max-pending', String(WINDOW), '--max-connections-per-account', '5', '--log-level', 'error'];
// CCS_BENCH_PROFILE=DIR writes a .cpuprofile of the server; CCS_BENCH_SERVER_NODE_ARGS passes Node flags to it (e.g. GC tuning to try).
const serverNodeArgs = [...(process.env.CCS_BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CCS_BENCH_PROFILE}`] : []), ...(process.env.CCS_BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [])];
const server = spawn(process.execPath, [...serverNodeArgs, ocp, 'server', ...flags], { stdio: ['ignore', 'ignore', 'inherit'] });
children.push(server);
await waitUntil(() => existsSync(join(dataDir, 'ports.json')), 'server start', 60_000);
const ports = JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as Record<string, number>;
const ca = join(dataDir, 'tls', 'ca.pem');

// 3. Device load generators.
log(`connecting ${DEVICES} devices in ${PROCS} processes`);
const perProc = Math.ceil(DEVICES / PROCS);
let ready = 0;
let received = 0;
let lastReceiptAt = 0;
const deliveryLatencies: number[] = [];
for (let p = 0; p < PROCS; p++) {
  const file = join(dataDir, `devices-${p}.json`);
  writeFileSync(file, JSON.stringify(devices.slice(p * perProc, (p + 1) * perProc)));
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, '_ccs-devices.ts'), String(ports.xmpps), ca, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  lines(child, (event) => {
    if (event.event === 'ready') ready++;
    if (event.event === 'received') {
      received += event.count as number;
      lastReceiptAt = Math.max(lastReceiptAt, event.lastAt as number);
      deliveryLatencies.push(...(event.latencies as number[]));
    }
  });
}
const connectStart = Date.now();
await waitUntil(() => ready === PROCS, 'devices connected', 400_000);
log(`devices connected in ${((Date.now() - connectStart) / 1000).toFixed(1)} s`);

// 4. The app server.
log(`sending ${MESSAGES} messages, window ${WINDOW}`);
const tokensFile = join(dataDir, 'tokens.json');
writeFileSync(tokensFile, JSON.stringify(devices.map((d) => d.token)));
const cpuBefore = cpuMicros(server.pid!);
const app = spawn(process.execPath, ['--import', 'tsx', join(here, '_ccs-appserver.ts'), String(ports.ccs), ca, sender_id, api_key, tokensFile, String(MESSAGES), String(WINDOW)], { stdio: ['ignore', 'pipe', 'inherit'] });
children.push(app);
let result: Record<string, any> | undefined;
lines(app, (event) => (result = event));
await waitUntil(() => result !== undefined, 'app server done', Number(values['time-limit']) * 1000);
await waitUntil(() => received >= MESSAGES - (result!.nacked as number), 'devices received everything', 30_000);
const cpuAfter = cpuMicros(server.pid!);
clearTimeout(hardStop);

deliveryLatencies.sort((a, b) => a - b);
const seconds = (lastReceiptAt - (result!.firstSendAt as number)) / 1000;
const summary = {
  bench: 'ccs-throughput',
  devices: DEVICES,
  messages: MESSAGES,
  window: WINDOW,
  nacked: result!.nacked,
  msgs_per_s_end_to_end: Math.round(MESSAGES / seconds),
  ack_latency_ms_p50: result!.p50,
  ack_latency_ms_p99: result!.p99,
  delivery_latency_ms_p99: deliveryLatencies[Math.floor(deliveryLatencies.length * 0.99)] ?? null,
  server_cpu_us_per_msg: Math.round((cpuAfter - cpuBefore) / MESSAGES),
  durable: 'sqlite WAL, synchronous=normal, group commit',
};
console.log(JSON.stringify(summary));
// A graceful stop lets the server finish (and a --cpu-prof in NODE_OPTIONS write its profile).
server.kill('SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
process.exit(0);
