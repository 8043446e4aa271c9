// `npm run bench -- cluster [--quick] [--first single|cluster] [--printers N]
// [--jobs N] [--rate N] [--devices N] [--warmup N] [--messages N]
// [--ccs-rate N] [--window N] [--sessions N] [--phase-seconds N]
// [--time-limit N]` (issue 20): the same
// load, in one run, against a single `ocp server` and against three nodes
// behind HAProxy. Both are test/helpers/cluster.ts on a fresh PostgreSQL
// database with a private redis-server as the bus; the single node is that
// harness with one node, its clients connecting to the node itself (HAProxy
// stays up, idle but for its health checks). So the comparison is one node
// against three with the same database and bus: what it shows is the cost
// of crossing nodes.
//
// For each setup, one after the other (`--first` picks which; alternate it
// between runs, this machine's speed drifts):
// - memory per session (the three nodes only, first, on a fresh node: one
//   that served load holds garbage its next collection may give back): the
//   RSS of one node before and after `sessions` idle subscribed robot
//   sessions connect to it directly (so that all land on it);
// - push: printers registered and claimed over REST hold robot sessions
//   (direct TLS, google:push subscribed) through the balancer; jobs are
//   submitted over REST at `rate` per second, one in flight per printer,
//   each straight to a node OTHER than the one holding the printer's
//   session (found from /admin/status as each session connects), so every
//   push crosses the bus. Latency is from sending the submit request to the
//   push at the robot (a push may beat the REST response);
// - CCS downstream: one app server through the balancer sends messages
//   round-robin to `devices` CCS devices connected through the balancer to
//   nodes other than the app server's (a device that lands on its node stays
//   connected, unused); devices ACK each message;
// - CCS upstream: the same devices send messages to the app server, which
//   ACKs each one. In both directions at most `window` messages are on their
//   way, end to end; `warmup` messages go first as fast as they go and
//   `warmup` more at `ccs-rate` per second, unmeasured, then `messages` as
//   fast as they go (saturated), then `messages` at `ccs-rate` (paced; see
//   ccsDirection).
// For each phase: CPU time (user + system, /proc) per message of all `ocp
// server` processes together (and of each node, as measured), and apart
// HAProxy's, redis-server's and the database's PostgreSQL backends'; as
// measured, and net of what the setup spends idle over as long (measured
// for 3 s before the phases: HAProxy's health checks cost the nodes more
// than the load on some phases).
// `serverCpuRatio` is the cluster's net server CPU per message over the
// single node's at the same load (push, paced CCS: the target is at
// most 1.3); `serverCpuRatioSaturated` the same for saturated CCS.
// Load generators: the printers' sessions in a child process
// (lib/xmpp-load-client.ts); the app server and devices in this process.
// Logs stay at the harness's level (info: one line per HTTP request) on
// every node. Every loop is bounded by a count and by `phase-seconds`, the
// whole run by `time-limit` (then, or on Ctrl-C, the running setup is
// stopped and its database dropped).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { clusterUser, startCluster, type Cluster } from '../test/helpers/cluster.ts';
import { registerAndClaim, type ClaimedPrinter, type TestUser } from '../test/helpers/cloud.ts';
import { runOcp } from '../test/helpers/server-process.ts';
import { waitFor } from '../test/helpers/wait.ts';
import { CcsAppServer } from '../src/ccs/sdk/appserver.ts';
import { CcsDevice } from '../src/ccs/sdk/device.ts';
import { CloudHttp } from './_cloud-http.ts';
import { createRobotAccounts } from './lib/accounts.ts';
import { ClusterCpu, byRole, perMessage, type CpuByRole } from './lib/cluster-cpu.ts';
import { cpuSecondsOf, rssKbOf } from './lib/server-process.ts';
import { forkLoadClient } from './lib/xmpp-load-client.ts';
import { cpuSecondsSince, nowMs, percentile, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    first: { type: 'string', default: 'single' },
    printers: { type: 'string' },
    jobs: { type: 'string' },
    rate: { type: 'string' },
    devices: { type: 'string' },
    messages: { type: 'string' },
    warmup: { type: 'string' },
    'ccs-rate': { type: 'string' },
    window: { type: 'string' },
    sessions: { type: 'string' },
    'phase-seconds': { type: 'string' },
    'time-limit': { type: 'string' },
  },
});
const quick = values.quick === true;
/** The option's value, or its default for a full run or for --quick. */
function count(name: 'printers' | 'jobs' | 'rate' | 'ccs-rate' | 'devices' | 'messages' | 'warmup' | 'window' | 'sessions' | 'phase-seconds' | 'time-limit', full: number, small: number, most: number): number {
  const value = Number(values[name] ?? (quick ? small : full));
  if (!Number.isInteger(value) || value < 1 || value > most) throw new Error(`--${name} must be a whole number from 1 to ${most}, got ${values[name]}`);
  return value;
}
const PRINTERS = count('printers', 20, 10, 500);
const JOBS = count('jobs', 400, 150, 100_000);
const RATE = count('rate', 40, 40, 5_000);
const DEVICES = count('devices', 15, 10, 500);
const MESSAGES = count('messages', 10_000, 5_000, 1_000_000);
const WARMUP = count('warmup', 10_000, 5_000, 1_000_000);
const CCS_RATE = count('ccs-rate', 2000, 2000, 100_000);
const WINDOW = count('window', 50, 50, 1000);
const SESSIONS = count('sessions', 1000, 300, 10_000);
const PHASE_MS = count('phase-seconds', 20, 20, 600) * 1000;
const TIME_LIMIT_MS = count('time-limit', 420, 420, 3600) * 1000;
if (values.first !== 'single' && values.first !== 'cluster') throw new Error(`--first is single or cluster, got ${values.first}`);
const ORDER = values.first === 'single' ? (['single', 'cluster'] as const) : (['cluster', 'single'] as const);

const NODE_ARGS = [
  '--ccs-device-rate', '0', // a device gets messages far faster than a phone would
  '--ccs-max-pending', String(Math.max(100, WINDOW)),
  '--xmpp-handshake-timeout', '120', // `sessions` handshakes queue behind each other
];

const benchStarted = performance.now();
const log = (message: string) => process.stderr.write(`[cluster ${((performance.now() - benchStarted) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);

/** One setup under test: where its clients connect, and its CPU meter. */
interface Setup {
  cluster: Cluster;
  name: 'single' | 'cluster';
  /** REST for registrations: the balancer (cluster) or the node. */
  rest: string;
  xmpps: number;
  ccs: number;
  cpu: ClusterCpu;
  /** CPU seconds per second by role while the setup does nothing. */
  idle: CpuByRole;
  owner: TestUser;
}

/** Bound XMPP sessions (robots and CCS devices) on each node. */
const sessionsPerNode = (cluster: Cluster) =>
  Promise.all(cluster.nodes.map(async (node) => Object.values((await node.status()).xmpp.sessions).reduce((a, b) => a + b, 0)));
const appServersPerNode = (cluster: Cluster) => Promise.all(cluster.nodes.map(async (node) => (await node.status()).ccs.appServerConnections));

/** After one more connection: the index of the node whose count went up, and the new counts. */
async function landedOn(before: number[], read: () => Promise<number[]>): Promise<{ node: number; counts: number[] }> {
  const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  const counts = await waitFor('the new connection counted by a node', async () => {
    const now = await read();
    return total(now) > total(before) ? now : undefined;
  }, 10_000, 10);
  return { node: counts.findIndex((value, i) => value > before[i]!), counts };
}

const latencyFigures = (latencies: number[]) => ({
  p50Ms: round(percentile(latencies, 50), 1),
  p95Ms: round(percentile(latencies, 95), 1),
  p99Ms: round(percentile(latencies, 99), 1),
});

/**
 * Runs `send(i)` for i = 0, 1, … while fewer than `window` are unanswered
 * and, given a `rate`, none before its time (i / rate seconds in), until
 * `total` or the phase's time is up; resolves with how many were sent when
 * all are answered, or 10 s past the phase's time if some never are.
 */
function closedLoop(total: number, window: number, send: (i: number) => Promise<unknown>, rate?: number): Promise<number> {
  const started = performance.now();
  const deadline = started + PHASE_MS;
  return new Promise((resolve) => {
    let next = 0;
    let answered = 0;
    let paced: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(lost);
      clearTimeout(paced);
      resolve(next);
    };
    const lost = setTimeout(finish, PHASE_MS + 10_000);
    const feed = () => {
      while (next < total && next - answered < window && performance.now() < deadline) {
        const early = rate ? started + (next * 1000) / rate - performance.now() : 0;
        if (early > 0) {
          paced ??= setTimeout(() => {
            paced = undefined;
            feed();
          }, early);
          return;
        }
        void send(next++).finally(() => {
          answered++;
          if (answered === next && (next === total || performance.now() >= deadline)) finish();
          else feed();
        });
      }
    };
    feed();
  });
}

/**
 * `attempt()`, tried three times a second apart: HAProxy's health checks
 * (300 ms) time out on a loaded machine and count nodes down, so that a
 * connection through the balancer, or a printer's polling URL (which names
 * it), can meet a 503 or a refusal for a moment.
 */
async function again<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (tries === 3) throw error;
      log(`${what} failed (${(error as Error).message.slice(0, 100)}), again`);
      await sleep(1000);
    }
  }
}

async function pushPhase(setup: Setup) {
  const { cluster } = setup;
  const printers: ClaimedPrinter[] = [];
  for (let i = 0; i < PRINTERS; i += 10) {
    printers.push(...(await Promise.all(Array.from({ length: Math.min(10, PRINTERS - i) }, (_, k) => again(`${setup.name}: registering printer ${i + k}`, () => registerAndClaim({ url: setup.rest }, setup.owner, { name: `bench ${i + k}` }))))));
  }
  log(`${setup.name}: ${printers.length} printers registered and claimed`);
  const client = forkLoadClient();
  const http = cluster.nodes.map((node) => new CloudHttp(node.url, 16));
  try {
    // One session at a time, so that /admin/status tells which node took it.
    const holder = new Map<string, number>();
    let counts = await sessionsPerNode(cluster);
    for (const printer of printers) {
      await again(`${setup.name}: a printer's session`, async () => {
        const connected = client.next('connected');
        client.send({ op: 'connect', port: setup.xmpps, caPath: cluster.caPath, domain: printer.xmppJid.split('@')[1]!, accounts: [{ local: printer.jidLocal, token: printer.accessToken }], concurrency: 1, subscribe: true, mode: 'direct' });
        const result = await connected;
        if (result.failed) throw new Error(result.errors.join('; '));
      });
      let node: number;
      ({ node, counts } = await landedOn(counts, () => sessionsPerNode(cluster)));
      holder.set(printer.printerId, node);
    }
    log(`${setup.name}: ${printers.length} printer sessions, per node ${counts.join('/')}`);

    const sentAt = new Map<string, number>();
    const pushedAt = new Map<string, number>();
    const answered = new Set<string>();
    const latencies: number[] = [];
    const responses: number[] = [];
    const idle = [...printers];
    const byId = new Map(printers.map((p) => [p.printerId, p]));
    let errors = 0;
    let crossNode = 0;
    /** A printer is free again once its push and its response are both in. */
    const settle = (printerId: string) => {
      if (!answered.has(printerId) || !pushedAt.has(printerId)) return;
      latencies.push(pushedAt.get(printerId)! - sentAt.get(printerId)!);
      answered.delete(printerId);
      pushedAt.delete(printerId);
      idle.push(byId.get(printerId)!);
    };
    client.onReport((report) => {
      if (report.op !== 'pushes') return;
      for (const [printerId, at] of report.items) {
        pushedAt.set(printerId, at);
        settle(printerId);
      }
    });
    const document = Buffer.alloc(1024, 'A');
    const before = await setup.cpu.snapshot();
    const started = performance.now();
    let submitted = 0;
    while (submitted < JOBS && performance.now() - started < PHASE_MS) {
      const wait = started + (submitted * 1000) / RATE - performance.now();
      if (wait > 1) await sleep(wait);
      if (idle.length === 0) {
        await sleep(1);
        continue;
      }
      const printer = idle.splice(Math.floor(Math.random() * idle.length), 1)[0]!;
      // A node other than the holder's, in turn (the only node when there is one).
      const holding = holder.get(printer.printerId)!;
      const target = cluster.nodes.length === 1 ? 0 : (holding + 1 + (submitted % (cluster.nodes.length - 1))) % cluster.nodes.length;
      if (target !== holding) crossNode++;
      sentAt.set(printer.printerId, nowMs());
      submitted++;
      http[target]!.submit(setup.owner.token, printer.printerId, 'bench', document).then(
        (reply) => {
          responses.push(nowMs() - sentAt.get(printer.printerId)!);
          if (!reply.json.success) errors++;
          answered.add(printer.printerId);
          settle(printer.printerId);
        },
        () => errors++,
      );
    }
    const seconds = (performance.now() - started) / 1000;
    await waitFor('every push', () => latencies.length + errors >= submitted || undefined, 10_000, 5).catch(() => log(`${setup.name}: ${submitted - latencies.length - errors} pushes missing`));
    const cpu = await setup.cpu.since(before);
    log(`${setup.name}: ${latencies.length} pushes in ${seconds.toFixed(1)} s`);
    return {
      printers: printers.length,
      printersPerNode: counts,
      jobs: latencies.length,
      crossNode,
      submitsPerSecond: Math.round(submitted / seconds),
      ...latencyFigures(latencies),
      responseP50Ms: round(percentile(responses, 50), 1),
      errors,
      ...perMessage(cpu, latencies.length, setup.idle),
    };
  } finally {
    for (const agent of http) agent.close();
    await client.exit();
  }
}

/**
 * One CCS direction, closed loop: at most WINDOW messages on their way, a
 * message being on its way until its sender has the server's ACK AND its
 * receiver has it. (Counting the ACK alone lets the receiver's backlog grow
 * without bound where delivery is slower than storing, and each figure then
 * depends on how many messages were sent.) Three rounds:
 * - WARMUP messages as fast as they go and WARMUP more at CCS_RATE,
 *   unmeasured: until V8 has compiled the message path a node spends more
 *   on compiling it than on the messages (a third of the single node's CPU
 *   over its first 10,000), and three nodes compile it three times. Paced
 *   messages take other paths (a batch per message or two), which a
 *   saturated warm-up leaves cold;
 * - `saturated`: MESSAGES as fast as the window lets them go, for the
 *   throughput. Its CPU per message compares one node batching the whole
 *   loop in one process against three processes and the bus sharing two
 *   cores with everything else, each batching less;
 * - `paced`: MESSAGES at CCS_RATE per second, the same offered load for
 *   both setups, for the CPU a message costs (serverCpuRatio).
 */
async function ccsDirection(
  setup: Setup,
  direction: 'downstream' | 'upstream',
  send: (i: number, messageId: string, sentAt: number) => Promise<unknown>,
  listen: (arrived: (messageId: string, sentAt: number) => void) => void,
) {
  const onItsWay = new Map<string, () => void>();
  let deliveries: number[] = [];
  let lastArrivalAt = 0;
  listen((messageId, sentAt) => {
    lastArrivalAt = nowMs();
    deliveries.push(lastArrivalAt - sentAt);
    onItsWay.get(messageId)?.();
    onItsWay.delete(messageId);
  });
  let acks: number[] = [];
  let nacked = 0;
  const loop = (total: number, round: string, rate?: number) =>
    closedLoop(
      total,
      WINDOW,
      (i) => {
        const messageId = `${direction}-${round}-${i}`;
        const sentAt = nowMs();
        const delivered = new Promise<void>((resolve) => onItsWay.set(messageId, resolve));
        const answered = send(i, messageId, sentAt).then(
          () => void acks.push(nowMs() - sentAt),
          () => {
            nacked++;
            onItsWay.get(messageId)?.();
            onItsWay.delete(messageId);
          },
        );
        return Promise.all([answered, delivered]);
      },
      rate,
    );
  const measured = async (name: 'saturated' | 'paced', rate?: number) => {
    [deliveries, acks, nacked] = [[], [], 0];
    const before = await setup.cpu.snapshot();
    const clientBefore = process.cpuUsage();
    const started = nowMs();
    const sent = await loop(MESSAGES, name, rate);
    const used = await setup.cpu.since(before);
    const messages = deliveries.length;
    log(`${setup.name}: ${messages} ${direction} messages (${name}) in ${used.seconds.toFixed(1)} s`);
    return {
      messages,
      sent,
      nacked,
      messagesPerSecond: Math.round(messages / ((lastArrivalAt - started) / 1000)),
      ackP50Ms: round(percentile(acks, 50), 1),
      ackP99Ms: round(percentile(acks, 99), 1),
      delivery: latencyFigures(deliveries),
      ...perMessage(used, messages, setup.idle),
      clientCpuUsPerMessage: Math.round((cpuSecondsSince(clientBefore) * 1e6) / Math.max(1, messages)),
    };
  };
  const warmedUp = (await loop(WARMUP, 'warmup')) + (await loop(WARMUP, 'warmup-paced', CCS_RATE));
  log(`${setup.name}: ${deliveries.length} of ${warmedUp} ${direction} warm-up messages delivered`);
  return { warmup: warmedUp, saturated: await measured('saturated'), paced: await measured('paced', CCS_RATE) };
}

async function ccsPhases(setup: Setup) {
  const { cluster } = setup;
  const sender = JSON.parse((await runOcp(['sender', 'create', 'bench', '--json', ...cluster.storeArgs])).stdout) as { sender_id: string; api_key: string };
  const ca = readFileSync(cluster.caPath, 'utf8');
  const app = new CcsAppServer({ host: '127.0.0.1', port: setup.ccs, ca, senderId: sender.sender_id, apiKey: sender.api_key, window: WINDOW, maxRetries: 0 });
  const devices: Array<{ device: CcsDevice; token: string }> = [];
  const unused: CcsDevice[] = [];
  try {
    await again(`${setup.name}: the app server's connection`, () => app.connect());
    const { node: appNode } = await landedOn(cluster.nodes.map(() => 0), () => appServersPerNode(cluster));
    let counts = await sessionsPerNode(cluster);
    for (let tries = 0; devices.length < DEVICES && tries < DEVICES * 3; tries++) {
      const registration = await again(`${setup.name}: registering a device`, () => CcsDevice.register(setup.rest, { sender: sender.sender_id, app: 'com.example.bench' }));
      const device = new CcsDevice({ host: '127.0.0.1', port: setup.xmpps, ca, jid: registration.jid, password: registration.password! });
      await again(`${setup.name}: a device's session`, () => device.connect());
      let node: number;
      ({ node, counts } = await landedOn(counts, () => sessionsPerNode(cluster)));
      if (cluster.nodes.length === 1 || node !== appNode) devices.push({ device, token: registration.registration_id });
      else unused.push(device);
    }
    log(`${setup.name}: app server on node ${appNode + 1}, ${devices.length} devices on other nodes (${unused.length} on its node, unused)`);

    // Downstream: app server → devices, ACKed by the server to the app server and by each device.
    const downstream = await ccsDirection(
      setup,
      'downstream',
      // The device sees a message_id of the server's: the app server's travels in the data.
      (i, messageId, sentAt) => app.send({ to: devices[i % devices.length]!.token, message_id: messageId, data: { id: messageId, t: String(sentAt) } }),
      (arrived) => devices.forEach(({ device }) => device.on('message', (message) => arrived(String(message.data?.id), Number(message.data?.t)))),
    );
    // Upstream: devices → app server, ACKed by the server to each device and by the app server.
    const upstream = await ccsDirection(
      setup,
      'upstream',
      (i, messageId, sentAt) => devices[i % devices.length]!.device.send({ to: `${sender.sender_id}@gcm.googleapis.com`, message_id: messageId, data: { id: messageId, t: String(sentAt) } }),
      (arrived) => app.on('upstream', (message) => arrived(String(message.data.id), Number(message.data.t))),
    );
    return { devices: devices.length, appServerNode: appNode + 1, downstream, upstream };
  } finally {
    app.close();
    for (const device of [...devices.map((d) => d.device), ...unused]) device.close();
    await waitFor('every device session closed', async () => ((await sessionsPerNode(cluster)).every((n) => n === 0) ? true : undefined), 15_000);
  }
}

/** RSS of the last node with 0 and with SESSIONS idle subscribed robot sessions on it. */
async function memoryPerSession(setup: Setup) {
  const { cluster } = setup;
  const node = cluster.nodes.at(-1)!;
  const pid = node.child.pid!;
  const accounts = await createRobotAccounts(node.dataDir, SESSIONS, cluster.database.url);
  await sleep(2000);
  const beforeKb = rssKbOf(pid);
  const cpuBefore = cpuSecondsOf(pid);
  const client = forkLoadClient();
  try {
    const connected = client.next('connected');
    // From 127.0.0.2: the node trusts 127.0.0.1 as the balancer and would ask a connection from there for a PROXY header.
    client.send({ op: 'connect', port: node.ports.xmpps, caPath: cluster.caPath, domain: 'localhost', accounts, concurrency: 16, subscribe: true, mode: 'direct', localAddress: '127.0.0.2' });
    const result = await connected;
    const connectCpu = cpuSecondsOf(pid) - cpuBefore;
    if (result.failed) log(`memory: ${result.failed} sessions failed: ${result.errors.join('; ')}`);
    await sleep(3000); // idle, so that what connecting allocated and dropped can be collected
    const afterKb = rssKbOf(pid);
    const held = (await sessionsPerNode(cluster)).at(-1)!;
    return {
      node: node.name,
      sessions: held,
      rssMb: { before: Math.round(beforeKb / 1024), after: Math.round(afterKb / 1024) },
      rssKbPerSession: round((afterKb - beforeKb) / Math.max(1, held), 1),
      connectSeconds: round(result.seconds, 1),
      serverCpuMsPerSession: round((connectCpu * 1000) / Math.max(1, held), 2),
    };
  } finally {
    await client.exit();
    await waitFor('every robot session closed', async () => ((await sessionsPerNode(cluster)).every((n) => n === 0) ? true : undefined), 30_000);
  }
}

/** The setup running now, stopped (its processes, database and files) if the run is cut short. */
let running: Cluster | undefined;
function abort(why: string): void {
  log(`${why}: stopping`);
  const exit = () => process.exit(1);
  setTimeout(exit, 20_000).unref();
  void (running?.stop() ?? Promise.resolve()).finally(exit);
}
process.once('SIGINT', () => abort('interrupted'));
process.once('SIGTERM', () => abort('terminated'));
setTimeout(() => abort(`past --time-limit ${TIME_LIMIT_MS / 1000} s`), TIME_LIMIT_MS).unref();

async function measure(name: Setup['name']) {
  // The harness trusts 127.0.0.1 as the balancer (--trusted-proxies): a node
  // then wants a PROXY header on every XMPP connection from it, which the
  // single node's clients, connecting directly, do not send. The last
  // --trusted-proxies wins: an address nothing connects from.
  const nodeArgs = name === 'single' ? [...NODE_ARGS, '--trusted-proxies', '192.0.2.1'] : NODE_ARGS;
  const cluster = (running = await startCluster({ nodes: name === 'single' ? 1 : 3, nodeArgs }));
  const cpu = await ClusterCpu.of(cluster);
  try {
    const single = cluster.nodes.length === 1;
    const node = cluster.nodes[0]!;
    // What the setup costs doing nothing (health checks, timers), to read the phases' figures against.
    await sleep(1000);
    const idleBefore = await cpu.snapshot();
    await sleep(3000);
    const idleUsed = await cpu.since(idleBefore);
    const idle = byRole((role) => idleUsed.cpu[role] / idleUsed.seconds);
    const setup: Setup = {
      cluster,
      name,
      rest: single ? node.url : cluster.balancer.url,
      xmpps: single ? node.ports.xmpps : cluster.balancer.xmpps,
      ccs: single ? node.ports.ccs : cluster.balancer.ccs,
      cpu,
      idle,
      owner: { ...(await clusterUser(cluster)), password: '', id: '' },
    };
    // On a fresh node: one that served load holds garbage its next collection may return, more than the sessions take.
    const memory = single ? undefined : (log(`${name}: memory per session`), await memoryPerSession(setup));
    log(`${name}: push`);
    const push = await pushPhase(setup);
    log(`${name}: CCS`);
    const ccs = await ccsPhases(setup);
    const figures = {
      nodes: cluster.nodes.length,
      clientsConnectTo: single ? 'the node' : 'HAProxy (push submits: straight to a node other than the session\'s)',
      idleCpuMsPerSecond: byRole((role) => round(idle[role] * 1000, 1)),
      push,
      ...ccs,
      nodeRssMb: cluster.nodes.map((n) => Math.round(rssKbOf(n.child.pid!) / 1024)),
    };
    return { figures, memory };
  } finally {
    log(`${name}: stopping`);
    await cpu.close();
    await cluster.stop();
    running = undefined;
  }
}

const loadBefore = loadavg().map((l) => round(l, 1));
const results: Partial<Record<Setup['name'], Awaited<ReturnType<typeof measure>>>> = {};
for (const name of ORDER) {
  log(`${name}: starting`);
  results[name] = await measure(name);
}
const [single, cluster] = [results.single!.figures, results.cluster!.figures];
const ratio = (a: number, b: number) => round(a / b, 2);
const summary = {
  bench: 'cluster',
  order: ORDER,
  quick,
  database: 'PostgreSQL (a fresh database per setup), bus: a private redis-server, both setups',
  // Cluster over single node, the servers' CPU per message net of idle, at the same offered load
  // (CCS: paced): the target is at most 1.3. Then CCS as fast as each setup goes.
  serverCpuRatio: {
    push: ratio(cluster.push.netCpuUsPerMessage.servers, single.push.netCpuUsPerMessage.servers),
    downstream: ratio(cluster.downstream.paced.netCpuUsPerMessage.servers, single.downstream.paced.netCpuUsPerMessage.servers),
    upstream: ratio(cluster.upstream.paced.netCpuUsPerMessage.servers, single.upstream.paced.netCpuUsPerMessage.servers),
  },
  serverCpuRatioSaturated: {
    downstream: ratio(cluster.downstream.saturated.netCpuUsPerMessage.servers, single.downstream.saturated.netCpuUsPerMessage.servers),
    upstream: ratio(cluster.upstream.saturated.netCpuUsPerMessage.servers, single.upstream.saturated.netCpuUsPerMessage.servers),
  },
  single,
  cluster,
  sessionMemory: results.cluster!.memory,
  // Other engineers' tests share these two cores.
  loadAverage: { before: loadBefore, after: loadavg().map((l) => round(l, 1)) },
};
console.log(JSON.stringify(summary));
