// Load generator child process for the XMPP benchmarks (started with
// `forkLoadClient`). It holds many minimal device sessions (direct TLS, SASL
// PLAIN, bind, google:push subscribe), reports push arrivals with
// cross-process timestamps, and can drive routed messages between pairs of
// its sessions. Commands and results travel over the IPC channel.
import { connect, createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { connect as tcpConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpuSecondsSince, nowMs } from './stats.ts';
import type { LoadAccount } from './accounts.ts';

export type LoadCommand =
  | { op: 'connect'; port: number; caPath: string; domain: string; accounts: LoadAccount[]; concurrency: number; subscribe: boolean; mode: ConnectMode; /** Source address (default: the system's choice, 127.0.0.1). */ localAddress?: string }
  | { op: 'route'; pairs: number; messages: number; inFlight: number; bodyBytes: number; /** Messages per second; 0 = as fast as `inFlight` allows. */ rate: number }
  | { op: 'exit' };

export type LoadReport =
  | { op: 'connected'; ok: number; failed: number; seconds: number; errors: string[]; clientCpuSeconds: number }
  | { op: 'pushes'; items: Array<[payload: string, at: number]> }
  | { op: 'routed'; count: number; seconds: number; latencies: number[]; clientCpuSeconds: number };

/** `direct`: TLS from the first byte; `starttls`: plain TCP, then STARTTLS; `tls-only`: the TLS handshake and nothing else. */
export type ConnectMode = 'direct' | 'starttls' | 'tls-only';

/** Writes `data` on a plain socket and waits for `until` (STARTTLS negotiation). */
function exchange(socket: Socket, data: string, until: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer) => {
      received += chunk.toString();
      if (!received.includes(until)) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(data);
  });
}

/**
 * Node's TLS client turns the whole verified certificate chain into JS objects
 * (getPeerCertificate(true), fingerprints included) for its host name check:
 * about 1.5 ms per connection, more than the server's side of the handshake,
 * on the cores the server is measured on. So only the first connection of
 * each load generator verifies the server's certificate; the others skip
 * verification (the handshake's cryptography is unchanged).
 */
interface LoadTlsOptions {
  secureContext: SecureContext;
  rejectUnauthorized: boolean;
  localAddress?: string;
}

const STREAM = (domain: string) => `<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="${domain}" version="1.0">`;

class LoadSession {
  socket!: TLSSocket;
  buffer = '';
  jid = '';
  /** Called with each complete <message> once the session is up. */
  onMessage: ((message: string) => void) | undefined;

  constructor(private readonly account: LoadAccount) {}

  /** Resolves when the session is bound (and subscribed); with `tls-only`, once the TLS handshake is done. */
  async open(port: number, tlsOptions: LoadTlsOptions, domain: string, subscribe: boolean, mode: ConnectMode): Promise<void> {
    let raw: Socket | undefined;
    if (mode === 'starttls') {
      raw = tcpConnect({ host: '127.0.0.1', port, localAddress: tlsOptions.localAddress });
      raw.setNoDelay(true);
      await exchange(raw, STREAM(domain), '</stream:features>');
      await exchange(raw, '<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>', '<proceed');
    }
    return new Promise((resolve, reject) => {
      const socket = raw ? connect({ socket: raw, ...tlsOptions, servername: 'localhost' }) : connect({ host: '127.0.0.1', port, ...tlsOptions, servername: 'localhost' });
      socket.setNoDelay(true);
      this.socket = socket;
      const steps: Array<[send: () => string, until: string]> = [
        [() => STREAM(domain), '</stream:features>'],
        [() => `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from(`\0${this.account.local}\0${this.account.token}`).toString('base64')}</auth>`, '<success'],
        [() => STREAM(domain), '</stream:features>'],
        [() => '<iq type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>', '</jid>'],
      ];
      if (subscribe) {
        steps.push([
          () => `<iq type="set" id="s" to="${this.jid.split('/')[0]}"><subscribe xmlns="google:push"><item channel="cloudprint.google.com" from="cloudprint.google.com"/></subscribe></iq>`,
          'id="s"',
        ]);
      }
      let step = 0;
      socket.setEncoding('utf8');
      socket.once('secureConnect', () => (mode === 'tls-only' ? resolve() : socket.write(steps[0]![0]())));
      socket.on('error', (error) => reject(error));
      socket.on('close', () => reject(new Error(`closed during step ${step}: ${this.buffer.slice(-200)}`)));
      socket.on('data', (text: string) => {
        this.buffer += text;
        if (step < steps.length) {
          if (this.buffer.includes('<failure') || this.buffer.includes('<stream:error')) return reject(new Error(this.buffer.slice(-300)));
          if (!this.buffer.includes(steps[step]![1])) return;
          if (step === 3) this.jid = /<jid>([^<]+)<\/jid>/.exec(this.buffer)![1]!;
          this.buffer = '';
          step++;
          if (step < steps.length) socket.write(steps[step]![0]());
          else resolve();
          return;
        }
        this.drain();
      });
    });
  }

  private drain(): void {
    for (;;) {
      const end = this.buffer.indexOf('</message>');
      const ping = this.buffer.indexOf('<ping xmlns="urn:xmpp:ping"/>');
      if (ping >= 0 && (end < 0 || ping < end)) {
        // Answer the server's keepalive ping.
        const id = /<iq type="get"[^>]* id="([^"]+)"><ping/.exec(this.buffer)?.[1];
        if (id) this.socket.write(`<iq type="result" id="${id}"/>`);
        this.buffer = this.buffer.slice(this.buffer.indexOf('</iq>', ping) + 5);
        continue;
      }
      if (end < 0) break;
      const message = this.buffer.slice(0, end + 10);
      this.buffer = this.buffer.slice(end + 10);
      this.onMessage?.(message);
    }
    if (!this.buffer.includes('<')) this.buffer = '';
  }
}

// ---- the child process

async function connectAll(command: Extract<LoadCommand, { op: 'connect' }>, sessions: LoadSession[], report: (r: LoadReport) => void): Promise<void> {
  // One context per kind, shared by all connections: a `ca` option per connect would parse the CA every time.
  const { localAddress } = command;
  const verifying: LoadTlsOptions = { secureContext: createSecureContext({ ca: readFileSync(command.caPath) }), rejectUnauthorized: true, localAddress };
  const trusting: LoadTlsOptions = { secureContext: createSecureContext(), rejectUnauthorized: false, localAddress };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let next = 0;
  let failed = 0;
  const errors: string[] = [];
  const pushes: Array<[string, number]> = [];
  const flush = setInterval(() => {
    if (pushes.length) report({ op: 'pushes', items: pushes.splice(0) });
  }, 10);
  flush.unref();
  const worker = async () => {
    while (next < command.accounts.length) {
      const tlsOptions = next === 0 ? verifying : trusting;
      const session = new LoadSession(command.accounts[next++]!);
      try {
        await session.open(command.port, tlsOptions, command.domain, command.subscribe, command.mode);
        session.onMessage = (message) => {
          const data = /<data>([^<]*)<\/data>/.exec(message);
          if (data) pushes.push([Buffer.from(data[1]!, 'base64').toString(), nowMs()]);
        };
        sessions.push(session);
      } catch (error) {
        failed++;
        if (errors.length < 5) errors.push((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  report({ op: 'connected', ok: sessions.length, failed, seconds: (performance.now() - started) / 1000, errors, clientCpuSeconds: cpuSecondsSince(cpuBefore) });
}

async function route(command: Extract<LoadCommand, { op: 'route' }>, sessions: LoadSession[], report: (r: LoadReport) => void): Promise<void> {
  const pairs = Math.min(command.pairs, Math.floor(sessions.length / 2));
  const latencies: number[] = [];
  let sent = 0;
  let nextPair = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const padding = 'x'.repeat(Math.max(0, command.bodyBytes - 40));
  await new Promise<void>((resolve) => {
    const sendFrom = (pair: number) => {
      if (sent >= command.messages) return;
      sent++;
      const receiver = sessions[pairs + pair]!;
      sessions[pair]!.socket.write(`<message to="${receiver.jid}" type="chat"><body>${pair}:${performance.now()}:${padding}</body></message>`);
    };
    // At most `inFlight` messages on the way. Closed loop (rate 0): each receipt sends the next
    // message. Open loop: messages leave on schedule, `rate` per second, while under the cap.
    const canSend = () => sent - latencies.length < command.inFlight;
    const tick = () => {
      const due = Math.min(command.messages, Math.floor(((performance.now() - started) * command.rate) / 1000));
      while (sent < due && canSend()) sendFrom(nextPair++ % pairs);
    };
    const timer = command.rate > 0 ? setInterval(tick, 1) : undefined;
    for (let pair = 0; pair < pairs; pair++) {
      sessions[pairs + pair]!.onMessage = (message) => {
        const [, , sentAt] = /<body>(\d+):([\d.]+):/.exec(message)!;
        latencies.push(performance.now() - Number(sentAt));
        if (latencies.length === command.messages) {
          clearInterval(timer);
          resolve();
        } else if (command.rate > 0) tick();
        else sendFrom(nextPair++ % pairs);
      };
    }
    if (command.rate === 0) for (let i = 0; i < Math.min(command.inFlight, command.messages); i++) sendFrom(nextPair++ % pairs);
  });
  report({ op: 'routed', count: latencies.length, seconds: (performance.now() - started) / 1000, latencies, clientCpuSeconds: cpuSecondsSince(cpuBefore) });
}

if (process.send && process.argv[2] === '--child') {
  const sessions: LoadSession[] = [];
  const report = (r: LoadReport) => process.send!(r);
  // The bench that forked this one is gone (killed, or cut short): so are the sessions' purpose.
  process.once('disconnect', () => process.exit(0));
  process.on('message', (command: LoadCommand) => {
    if (command.op === 'connect') void connectAll(command, sessions, report);
    else if (command.op === 'route') void route(command, sessions, report);
    else if (command.op === 'exit') {
      for (const session of sessions) session.socket.destroy();
      process.exit(0);
    }
  });
}

// ---- the parent side

export class LoadClient {
  private readonly listeners = new Set<(report: LoadReport) => void>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (report: LoadReport) => {
      for (const listener of this.listeners) listener(report);
    });
  }

  onReport(listener: (report: LoadReport) => void): void {
    this.listeners.add(listener);
  }

  send(command: LoadCommand): void {
    this.child.send(command);
  }

  next<T extends LoadReport['op']>(op: T): Promise<Extract<LoadReport, { op: T }>> {
    return new Promise((resolve) => {
      const listener = (report: LoadReport) => {
        if (report.op !== op) return;
        this.listeners.delete(listener);
        resolve(report as Extract<LoadReport, { op: T }>);
      };
      this.listeners.add(listener);
    });
  }

  async exit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.send({ op: 'exit' });
    await exited;
  }
}

export function forkLoadClient(): LoadClient {
  // BENCH_CLIENT_NODE_ARGS, e.g. "--cpu-prof", profiles the load generators.
  const extra = process.env.BENCH_CLIENT_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = fork(fileURLToPath(import.meta.url), ['--child'], { execArgv: [...extra, '--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new LoadClient(child);
}
