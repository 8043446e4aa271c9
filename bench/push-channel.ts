// `npm run bench -- push-channel [--connects N] [--pings N] [--sessions N] [--rounds N] [--channel FILE]`:
// the device side of the push channel (src/client/push-channel.ts, as the
// printer and the connector run it) against one `ocp server` process on
// loopback. Per round: `connects` channels one after another, each
// connect + TLS + X-OAUTH2 + bind + google:push subscribe + stop (client CPU
// and wall per connect); on one channel `pings` back-to-back XEP-0199 pings
// with the interval at 0 (client CPU and wall per ping cycle; the channel's
// ping timer adds its 1 ms floor to every cycle, the same for any stack); and
// `sessions` channels held at once (heap per session). Prints the median over
// the rounds. `--channel` loads XmppChannel from another tree, e.g.
// `--channel /path/to/other/src/client/push-channel.ts`, to compare stacks.
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { XmppChannel as Channel, XmppChannelOptions } from '../src/client/push-channel.ts';
import { silentLogger } from '../src/log.ts';
import { tempDir } from '../test/helpers/server.ts';
import { createRobotAccounts, type LoadAccount } from './lib/accounts.ts';
import { startServerProcess } from './lib/server-process.ts';
import { round } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    connects: { type: 'string', default: '40' },
    pings: { type: 'string', default: '2000' },
    sessions: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '5' },
    channel: { type: 'string', default: new URL('../src/client/push-channel.ts', import.meta.url).pathname },
  },
});
const connects = Math.min(Number(values.connects), 1000);
const pings = Math.min(Number(values.pings), 100_000);
const sessions = Math.min(Number(values.sessions), 2000);
const rounds = Math.min(Number(values.rounds), 20);
const { XmppChannel } = (await import(pathToFileURL(resolve(values.channel)).href)) as { XmppChannel: typeof Channel };

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const settle = async () => {
  gc();
  await new Promise((done) => setTimeout(done, 50));
  gc();
};

const dataDir = tempDir('ocp-bench-push-channel-');
const accounts = await createRobotAccounts(dataDir, Math.max(connects, sessions));
const server = await startServerProcess(dataDir);
const log = silentLogger();

/** The ping interval a channel is given, and a hook on every time it asks for it (after each pong). */
interface PingControl {
  seconds: number;
  asked: number;
  onAsk?: () => void;
}

/** A channel as the printer runs it, resolved once online. */
async function online(account: LoadAccount, interval: PingControl = { seconds: 3600, asked: 0 }): Promise<Channel> {
  let ready: () => void = () => {};
  const isOnline = new Promise<void>((done) => (ready = done));
  const options: XmppChannelOptions = {
    service: `xmpps://127.0.0.1:${server.ports.xmpps}`,
    jid: `${account.local}@localhost`,
    password: async () => account.token,
    ca: server.caPath,
    resource: 'bench',
    pingIntervalSeconds: () => {
      interval.asked++;
      interval.onAsk?.();
      return interval.seconds;
    },
    log,
    onState: (state) => state === 'online' && ready(),
    onPush: () => {},
  };
  const channel = new XmppChannel(options);
  channel.start();
  await Promise.race([isOnline, new Promise((_, fail) => setTimeout(() => fail(new Error('a channel did not come online in 30 s')), 30_000).unref())]);
  return channel;
}

const cpuMicros = (before: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(before);
  return used.user + used.system;
};

const figures = { connectCpuMs: [] as number[], connectWallMs: [] as number[], pingCpuUs: [] as number[], pingWallUs: [] as number[], heapPerSessionKb: [] as number[] };
try {
  for (let r = 0; r < rounds; r++) {
    // Connect + subscribe + stop, one after another.
    let cpu = process.cpuUsage();
    let wall = performance.now();
    for (let i = 0; i < connects; i++) await (await online(accounts[i]!)).stop();
    figures.connectCpuMs.push(cpuMicros(cpu) / 1000 / connects);
    figures.connectWallMs.push((performance.now() - wall) / connects);

    // Pings back to back: every pong asks for the interval again (0 s) and pings.
    const interval: PingControl = { seconds: 3600, asked: 0 };
    const pinging = await online(accounts[0]!, interval);
    const allAnswered = new Promise<void>((done) => {
      interval.onAsk = () => {
        if (interval.asked <= pings) return;
        interval.seconds = 3600;
        done();
      };
    });
    interval.seconds = 0;
    interval.asked = 0;
    cpu = process.cpuUsage();
    wall = performance.now();
    pinging.reschedulePing();
    await allAnswered;
    const answered = interval.asked - 1; // the first ask started the loop
    figures.pingCpuUs.push(cpuMicros(cpu) / answered);
    figures.pingWallUs.push(((performance.now() - wall) * 1000) / answered);
    await pinging.stop();

    // Sessions held at once.
    await settle();
    const heapBefore = process.memoryUsage().heapUsed;
    const held: Channel[] = [];
    for (let i = 0; i < sessions; i += 10) held.push(...(await Promise.all(accounts.slice(i, Math.min(i + 10, sessions)).map((account) => online(account)))));
    await settle();
    figures.heapPerSessionKb.push((process.memoryUsage().heapUsed - heapBefore) / 1024 / sessions);
    await Promise.all(held.map((channel) => channel.stop()));
  }
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(JSON.stringify({ channel: values.channel, rounds, connects, pings, sessions, ...Object.fromEntries(Object.entries(figures).map(([name, xs]) => [name, round(median(xs), 3)])) }));
process.exit(0);
