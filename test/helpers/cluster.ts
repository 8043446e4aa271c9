// A cluster on loopback (issue 20): three `ocp server` child processes on a
// fresh PostgreSQL database and a private redis-server, each with its own data
// directory, keeping documents in the database (--documents database; or,
// with `documents: 'directory'`, in one shared directory: DATA/documents is
// a symlink to it, as a network file system would be mounted there), behind a real
// `haproxy` child process: HTTP mode for the REST port, health-checked on
// /readyz; TCP mode for both XMPP ports, CCS and IPPS, health-checked on the same
// node's /readyz. Every node shares node 1's CA and certificate, so a device
// trusts whichever node the balancer picks. HAProxy's runtime API (its admin
// socket) lets a test steer new connections (a server in maintenance gets
// none), and a node restarts with its data directory, flags and ports.
// docs/deployment.md shows the configuration this writes.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { OCP, runOcp } from './server-process.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { freePort, reservePort } from './ports.ts';
import { tempDir } from './server.ts';
import { waitFor } from './wait.ts';
import { registerThroughPrivet, startPrinter, type TestPrinter } from '../privet/helpers.ts';

/** What `ports.json` of a node says. */
export interface NodePorts {
  http: number;
  xmpp: number;
  xmpps: number;
  ccs: number;
  ipps: number;
}

export interface ClusterNode {
  name: string;
  dataDir: string;
  ports: NodePorts;
  /** The node's own HTTP port, bypassing the balancer. */
  url: string;
  child: ChildProcess;
  log(): string;
  /** Sends `signal` and waits for the process to end. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** GET /admin/status with the node's operator token. */
  status(): Promise<NodeStatus>;
}

export interface NodeStatus {
  nodeId: string;
  xmpp: { sessions: Record<string, number> };
  ccs: { appServerConnections: number };
  ready: boolean;
}

export interface Balancer {
  /** REST through HAProxy (HTTP mode). */
  url: string;
  xmpp: number;
  xmpps: number;
  ccs: number;
  /** IPP Everywhere over TLS (TCP mode; IPP over HTTP is on `url`). */
  ipps: number;
  /** HAProxy's view of every server: `backend/server` → UP, DOWN, MAINT, … */
  serverStates(): Promise<Record<string, string>>;
  /** `set server BACKEND/SERVER state STATE` on the runtime API: `maint` takes no new connections (and keeps the open ones), `ready` takes them again. */
  setServerState(backend: keyof NodePorts | 'rest', server: string, state: 'ready' | 'drain' | 'maint'): Promise<void>;
}

export interface Cluster {
  nodes: ClusterNode[];
  balancer: Balancer;
  database: TestDatabase;
  /** The CA every node's certificate comes from (devices' --ca). */
  caPath: string;
  /** The documents directory every node shares, with `documents: 'directory'`. */
  documentsDir?: string;
  /** The shared store flags, for `ocp user add` and `ocp sender create`. */
  storeArgs: string[];
  /** HAProxy's and redis-server's process ids, for benchmarks that read their CPU time in /proc. */
  pids: { haproxy: number; redis: number };
  /** The node whose XMPP listeners hold `count` sessions or more, if exactly one does. */
  nodeWithSessions(count?: number): Promise<ClusterNode | undefined>;
  /**
   * Starts a stopped (or killed) node again with its data directory, flags and
   * ports, in its place in `nodes`; resolves with it once HAProxy sees it up
   * in every backend.
   */
  restartNode(node: ClusterNode): Promise<ClusterNode>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  nodes?: number;
  /** Extra `ocp server` flags for every node. */
  nodeArgs?: string[];
  /** Where documents live: in the database (default), or in a directory every node shares. */
  documents?: 'database' | 'directory';
}

/** HAProxy's health checks: every 300 ms, down after 2 failures, up after 2 successes. */
const CHECK = 'inter 300ms fall 2 rise 2';

function exited(child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  await exited(child);
}

/** A child process that is SIGKILLed if this test process ends first. */
function spawnReaped(command: string, args: string[]): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OCP_LOG_LEVEL: 'info' } });
  const reap = () => child.kill('SIGKILL');
  process.on('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  return child;
}

function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `--http-port` and the others: 0 (any free port) on the first start, the same ports on a restart. */
function portArgs(ports?: NodePorts): string[] {
  return ['--http-port', String(ports?.http ?? 0), '--xmpp-port', String(ports?.xmpp ?? 0), '--xmpps-port', String(ports?.xmpps ?? 0), '--ccs-port', String(ports?.ccs ?? 0), '--ipps-port', String(ports?.ipps ?? 0)];
}

async function startNode(name: string, dataDir: string, args: string[], fixedPorts?: NodePorts): Promise<ClusterNode> {
  const child = spawnReaped(OCP, ['server', '--node-id', name, '--data', dataDir, '--host', '127.0.0.1', ...portArgs(fixedPorts), ...args]);
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  await waitFor(`${name} started`, () => {
    if (child.exitCode !== null) throw new Error(`${name} exited:\n${output}`);
    return output.includes('ocp server started') || undefined;
  }, 60_000).catch(async (error: Error) => {
    await stopChild(child, 'SIGKILL');
    throw new Error(`${error.message}; its output:\n${output.slice(-3000)}`);
  });
  const ports = JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as NodePorts;
  const url = `http://127.0.0.1:${ports.http}`;
  return {
    name,
    dataDir,
    ports,
    url,
    child,
    log: () => output,
    stop: (signal = 'SIGTERM') => stopChild(child, signal),
    async status() {
      const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
      const response = await fetch(`${url}/admin/status`, { headers: { authorization: `Bearer ${token}` } });
      return (await response.json()) as NodeStatus;
    },
  };
}

/** Where HAProxy listens and the nodes it balances. */
export interface BalancerLayout {
  /** The address HAProxy binds (empty: every address). */
  bind: string;
  ports: NodePorts & { stats: number };
  /** The runtime API's UNIX socket (operators only: it can take servers out). */
  adminSocket: string;
  nodes: Array<{ name: string; address: string; ports: NodePorts }>;
}

/** The HAProxy configuration (docs/deployment.md shows it): one frontend and backend per service, every node in each backend. */
export function haproxyConfig({ bind, ports, adminSocket, nodes }: BalancerLayout): string {
  // REST checks each node's /readyz; the TCP services' servers track those
  // checks (one check per node, not one per backend: HAProxy's checks cost an
  // idle node more CPU than light load, docs/performance.md). send-proxy-v2
  // names the client to the node (--trusted-proxies).
  const restServers = nodes.map((node) => `  server ${node.name} ${node.address}:${node.ports.http} check ${CHECK}`).join('\n');
  const tcpServers = (port: keyof NodePorts) => nodes.map((node) => `  server ${node.name} ${node.address}:${node.ports[port]} send-proxy-v2 track rest/${node.name}`).join('\n');
  const healthCheck = '  option httpchk\n  http-check send meth GET uri /readyz\n  http-check expect status 200\n';
  const tcpService = (name: keyof NodePorts) => `
frontend ${name}
  mode tcp
  bind ${bind}:${ports[name]}
  default_backend ${name}

backend ${name}
  mode tcp
  balance leastconn
${tcpServers(name)}
`;
  return `global
  maxconn 4096
  stats socket ${adminSocket} mode 600 level admin

defaults
  timeout connect 2s
  timeout check 3s
  timeout client 30s
  timeout server 30s
  timeout tunnel 1h
  timeout client-fin 5s
  retries 3
  option redispatch

listen stats
  mode http
  bind ${bind}:${ports.stats}
  stats enable
  stats uri /stats

frontend rest
  mode http
  bind ${bind}:${ports.http}
  default_backend rest

backend rest
  mode http
  balance roundrobin
  option forwardfor
${healthCheck}${restServers}
${tcpService('xmpp')}${tcpService('xmpps')}${tcpService('ccs')}${tcpService('ipps')}`;
}

/** Starts PostgreSQL's database, redis-server, the nodes and HAProxy; resolves once HAProxy sees every node up. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const root = tempDir('ocp-cluster-');
  const nodes: ClusterNode[] = [];
  let database: TestDatabase | undefined;
  let redis: ChildProcess | undefined;
  let haproxy: ChildProcess | undefined;
  const reserved: Array<Awaited<ReturnType<typeof reservePort>>> = [];
  const stopAll = async () => {
    // The balancer first (no new connections), then the nodes, then what they use.
    await Promise.all(reserved.map((reservation) => reservation.release()));
    if (haproxy) await stopChild(haproxy, 'SIGTERM');
    await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
    if (redis) await stopChild(redis, 'SIGKILL');
    await database?.drop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    database = await createTestDatabase();
    const redisPort = await freePort();
    redis = spawnReaped('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    redis.stdout!.resume(); // read, so that its log never fills the pipe and stops it
    redis.stderr!.resume();
    await waitFor('redis-server', () => tcpAnswers(redisPort).then((up) => up || undefined), 10_000);

    // The balancer's REST and IPPS ports are in every node's flags (the
    // public URL, the ipps:// URIs): held until HAProxy starts (another
    // test's cluster could be given them meanwhile); its other ports are
    // picked once the nodes have theirs.
    reserved.push(await reservePort(), await reservePort());
    const [balancerHttp, balancerIpps] = reserved.map((reservation) => reservation.port) as [number, number];
    const sharedDirectory = options.documents === 'directory';
    const documentsDir = sharedDirectory ? join(root, 'documents') : undefined;
    if (documentsDir) mkdirSync(documentsDir, { mode: 0o700 });
    const count = options.nodes ?? 3;
    const common = [
      '--database', database.url,
      '--bus', `redis://127.0.0.1:${redisPort}?channel=ocp-cluster-${randomBytes(4).toString('hex')}`,
      // Links in documents and push notifications name the balancer, not a node.
      '--public-url', `http://127.0.0.1:${balancerHttp}`,
      '--ipps-public-port', String(balancerIpps),
      // HAProxy names each client: X-Forwarded-For on REST, a PROXY header on the TCP ports.
      '--trusted-proxies', '127.0.0.1',
      '--documents', sharedDirectory ? 'directory' : 'database',
      ...(options.nodeArgs ?? []),
    ];
    const dataDir = (index: number) => {
      const dir = join(root, `node${index}`);
      mkdirSync(dir, { mode: 0o700 });
      if (documentsDir) symlinkSync(documentsDir, join(dir, 'documents'));
      return dir;
    };
    // Node 1 alone first: it runs the migrations and makes the CA and certificate the others share.
    nodes.push(await startNode('node1', dataDir(1), common));
    const tls = join(nodes[0]!.dataDir, 'tls');
    const shared = [...common, '--tls-cert', join(tls, 'server.pem'), '--tls-key', join(tls, 'server-key.pem')];
    const others = await Promise.allSettled(Array.from({ length: count - 1 }, (_, i) => startNode(`node${i + 2}`, dataDir(i + 2), shared)));
    // Node 1's flags on a restart: its certificate is in its own data directory by then.
    const argsOf = (node: ClusterNode) => (node.name === 'node1' ? common : shared);
    for (const started of others) if (started.status === 'fulfilled') nodes.push(started.value);
    const failed = others.find((started) => started.status === 'rejected');
    if (failed) throw failed.reason;

    const balancerPorts = { http: balancerHttp, xmpp: await freePort(), xmpps: await freePort(), ccs: await freePort(), ipps: balancerIpps, stats: await freePort() };
    const configPath = join(root, 'haproxy.cfg');
    const adminSocket = join(root, 'haproxy.sock');
    writeFileSync(configPath, haproxyConfig({ bind: '127.0.0.1', ports: balancerPorts, adminSocket, nodes: nodes.map((node) => ({ ...node, address: '127.0.0.1' })) }), { mode: 0o600 });
    await Promise.all(reserved.map((reservation) => reservation.release()));
    // -dR (noreuseport): HAProxy sets SO_REUSEPORT by default, so a second
    // HAProxy given the same port (another test's cluster) would share it
    // without a word, each taking some of the other's connections; without
    // it, the second fails to start, saying so.
    const balancerProcess = (haproxy = spawnReaped('haproxy', ['-db', '-dR', '-f', configPath]));
    let haproxyOutput = '';
    balancerProcess.stdout!.on('data', (d) => (haproxyOutput += d));
    balancerProcess.stderr!.on('data', (d) => (haproxyOutput += d));

    const serverStates = async () => {
      // The CSV's header is "# pxname,svname,…,status,…"; a server's status is UP, DOWN, "UP 1/2"…
      const [header = '', ...rows] = (await (await fetch(`http://127.0.0.1:${balancerPorts.stats}/stats;csv`)).text()).split('\n');
      const statusColumn = header.replace(/^# /, '').split(',').indexOf('status');
      const states: Record<string, string> = {};
      for (const row of rows) {
        const fields = row.split(',');
        const [proxy, server] = fields;
        if (proxy && server && server !== 'FRONTEND' && server !== 'BACKEND') states[`${proxy}/${server}`] = fields[statusColumn]!.split(' ')[0]!;
      }
      return states;
    };
    /** Resolves once HAProxy sees every server named `names` UP in every backend. */
    const upInBalancer = (what: string, names: readonly string[]) =>
      waitFor(what, async () => {
        if (balancerProcess.exitCode !== null || balancerProcess.signalCode !== null) throw new Error(`haproxy exited (${balancerProcess.exitCode ?? balancerProcess.signalCode}):\n${haproxyOutput}`);
        const states = Object.entries(await serverStates().catch(() => ({}))).filter(([name]) => names.includes(name.split('/')[1]!));
        return states.length === 5 * names.length && states.every(([, state]) => state === 'UP') ? true : undefined;
      }, 15_000);
    await upInBalancer('HAProxy sees every node up', nodes.map((node) => node.name));

    const setServerState: Balancer['setServerState'] = async (backend, server, state) => {
      const answer = await adminCommand(adminSocket, `set server ${backend}/${server} state ${state}`);
      if (answer.trim() !== '') throw new Error(`haproxy: set server ${backend}/${server} state ${state}: ${answer}`);
    };
    const balancer: Balancer = { url: `http://127.0.0.1:${balancerPorts.http}`, xmpp: balancerPorts.xmpp, xmpps: balancerPorts.xmpps, ccs: balancerPorts.ccs, ipps: balancerPorts.ipps, serverStates, setServerState };
    const storeArgs = ['--data', nodes[0]!.dataDir, '--database', database.url];
    return {
      nodes,
      balancer,
      database,
      caPath: join(tls, 'ca.pem'),
      documentsDir,
      storeArgs,
      pids: { haproxy: balancerProcess.pid!, redis: redis.pid! },
      async nodeWithSessions(sessions = 1) {
        const live = nodes.filter((node) => node.child.exitCode === null && node.child.signalCode === null);
        const counts = await Promise.all(live.map(async (node) => Object.values((await node.status()).xmpp.sessions).reduce((a, b) => a + b, 0)));
        const holding = live.filter((_, i) => counts[i]! >= sessions);
        return holding.length === 1 ? holding[0] : undefined;
      },
      async restartNode(node) {
        const index = nodes.indexOf(node);
        if (index < 0) throw new Error(`${node.name} is not a node of this cluster`);
        await exited(node.child);
        const restarted = await startNode(node.name, node.dataDir, argsOf(node), node.ports);
        nodes[index] = restarted;
        await upInBalancer(`HAProxy sees ${node.name} up again`, [node.name]);
        return restarted;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** One command on HAProxy's runtime API; resolves with its answer (empty when a `set` succeeded). */
function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.once('error', reject);
    socket.once('end', () => resolve(answer));
    socket.end(`${command}\n`);
  });
}

/** A user made with `ocp user add` on the shared database, signed in through the balancer. */
export async function clusterUser(cluster: Cluster, email = `user-${randomBytes(4).toString('hex')}@example.com`, password = 'correct horse battery'): Promise<{ email: string; token: string }> {
  await runOcp(['user', 'add', email, '--password-stdin', ...cluster.storeArgs], password);
  const response = await fetch(`${cluster.balancer.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: email, password }) });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`sign-in failed: ${JSON.stringify(body)}`);
  return { email, token: body.access_token };
}

/** A virtual Privet printer (`ocp printer`) whose cloud is the balancer: REST, and XMPP on its direct-TLS port, trusting the cluster's CA. */
export function startClusterPrinter(cluster: Cluster, name: string): Promise<TestPrinter> {
  return startPrinter({ name, cloud: cluster.balancer.url, args: ['--no-mdns', '--auto-confirm', '--xmpp', `xmpps://127.0.0.1:${cluster.balancer.xmpps}`, '--ca', cluster.caPath] });
}

/** A cluster with a user and a Privet printer of theirs on the balancer, registered and claimed through Privet. */
export interface ClaimedClusterPrinter {
  cluster: Cluster;
  owner: { email: string; token: string };
  printer: TestPrinter;
  printerId: string;
  /** Stops the printer, then the cluster. */
  stop(): Promise<void>;
}

export async function startClaimedClusterPrinter(name: string): Promise<ClaimedClusterPrinter> {
  const cluster = await startCluster();
  let printer: TestPrinter | undefined;
  const stop = async () => {
    await printer?.stop();
    printer?.cleanup();
    await cluster.stop();
  };
  try {
    const owner = await clusterUser(cluster);
    printer = await startClusterPrinter(cluster, name);
    const printerId = await registerThroughPrivet(printer, cluster.balancer.url, owner);
    return { cluster, owner, printer, printerId, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
