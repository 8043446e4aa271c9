// `npm run bench -- push-latency [--sessions N] [--printers N] [--rate N] [--seconds N]`:
// N subscribed device sessions held by load-generator processes; `printers`
// of them are printers claimed through the REST API, the rest are robots of
// other printers that stay idle. Jobs are submitted through REST
// (/cloudprint/submit) at `rate` per second to random printers (one job in
// flight per printer, so every push is matched to its submit), and the time
// from the REST response to the push arriving at the device socket is
// measured across processes with a shared clock.
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tempDir } from '../test/helpers/server.ts';
import { registerAndClaim, type TestUser } from '../test/helpers/cloud.ts';
import { CloudHttp } from './_cloud-http.ts';
import { createRobotAccounts, createUserAccount, type LoadAccount } from './lib/accounts.ts';
import { startServerProcess } from './lib/server-process.ts';
import { forkLoadClient } from './lib/xmpp-load-client.ts';
import { nowMs, percentile, round } from './lib/stats.ts';
import { fileCreateMicros, warnIfFileCreateSlow } from './lib/file-create-cost.ts';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '15000' },
    printers: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    clients: { type: 'string', default: '2' },
  },
});
const sessions = Math.min(Number(values.sessions), 18_000);
const printerCount = Math.min(Number(values.printers), sessions);
const rate = Number(values.rate);
const jobs = Math.min(rate * Number(values.seconds), 100_000);

const dataDir = tempDir('ocp-bench-push-');
const idleAccounts = await createRobotAccounts(dataDir, sessions - printerCount);
const OWNER = { email: 'bench@example.com', password: 'benchmark password' };
await createUserAccount(dataDir, OWNER.email, OWNER.password);
// A thousand printers register anonymously from this one address.
const server = await startServerProcess(dataDir, ['--xmpp-handshake-timeout', '120', '--anonymous-registrations-per-minute', '0']);
const clients = Array.from({ length: Number(values.clients) }, forkLoadClient);
try {
  // Printers registered and claimed over REST; their robots log in with xmpp_jid + access token.
  const cloud = { url: server.url };
  const grant = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: OWNER.email, password: OWNER.password }) });
  const owner = { ...OWNER, id: '', token: ((await grant.json()) as { access_token: string }).access_token } satisfies TestUser;
  const printers: Array<{ id: string; account: LoadAccount }> = [];
  for (let i = 0; i < printerCount; i += 20) {
    const batch = await Promise.all(Array.from({ length: Math.min(20, printerCount - i) }, (_, k) => registerAndClaim(cloud, owner, { name: `bench ${i + k}` })));
    for (const p of batch) printers.push({ id: p.printerId, account: { local: p.jidLocal, token: p.accessToken } });
  }
  const all = [...printers.map((p) => p.account), ...idleAccounts];
  const perClient = Math.ceil(all.length / clients.length);
  const connected = await Promise.all(
    clients.map((client, i) => {
      const done = client.next('connected');
      client.send({ op: 'connect', port: server.ports.xmpps!, caPath: server.caPath, domain: 'localhost', accounts: all.slice(i * perClient, (i + 1) * perClient), concurrency: 48, subscribe: true, mode: 'direct' });
      return done;
    }),
  );
  const subscribed = connected.reduce((sum, r) => sum + r.ok, 0);

  // Submit at `rate`/s to random idle printers; match each push to its submit.
  // A push may beat its own REST response (the cloud publishes before replying): then it is negative.
  const respondedAt = new Map<string, number>();
  const pushedAt = new Map<string, number>();
  const latencies: number[] = [];
  /** From sending the submit request to the push, for comparison. */
  const sentAt = new Map<string, number>();
  const fromRequest: number[] = [];
  /** Printers with no job in flight, taken at random and put back when their push and response are both in. */
  const idle = [...printers];
  const printersById = new Map(printers.map((p) => [p.id, p]));
  let allPushed: () => void = () => {};
  const done = new Promise<void>((resolve) => (allPushed = resolve));
  const match = (printerId: string, responded: number, pushed: number) => {
    latencies.push(pushed - responded);
    fromRequest.push(pushed - sentAt.get(printerId)!);
    respondedAt.delete(printerId);
    pushedAt.delete(printerId);
    idle.push(printersById.get(printerId)!);
    if (latencies.length === jobs) allPushed();
  };
  for (const client of clients) {
    client.onReport((report) => {
      if (report.op !== 'pushes') return;
      for (const [printerId, at] of report.items) {
        const responded = respondedAt.get(printerId);
        if (responded === undefined) pushedAt.set(printerId, at);
        else match(printerId, responded, at);
      }
    });
  }
  const fileCreateUs = fileCreateMicros(dataDir);
  warnIfFileCreateSlow(fileCreateUs);
  const document = Buffer.alloc(1024, 'A');
  // Submits go through a lean keep-alive client: this process shares the cores with the server.
  const submitter = new CloudHttp(server.url, 64);
  const serverCpuBefore = server.cpuSeconds();
  const started = performance.now();
  let submitted = 0;
  let errors = 0;
  const interval = 1000 / rate;
  while (submitted < jobs) {
    const due = started + submitted * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (idle.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      continue;
    }
    // Swap-remove a random idle printer.
    const at = Math.floor(Math.random() * idle.length);
    const printer = idle[at]!;
    idle[at] = idle[idle.length - 1]!;
    idle.pop();
    sentAt.set(printer.id, nowMs());
    submitted++;
    void submitter.submit(owner.token, printer.id, 'bench', document).then(
      (reply) => {
        const at = nowMs();
        if (!reply.json.success) errors++;
        const pushed = pushedAt.get(printer.id);
        if (pushed === undefined) respondedAt.set(printer.id, at);
        else match(printer.id, at, pushed);
      },
      () => errors++,
    );
  }
  const submitSeconds = (performance.now() - started) / 1000;
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  const serverCpuSeconds = server.cpuSeconds() - serverCpuBefore;
  submitter.close();
  console.log(`${subscribed} subscribed sessions, ${printerCount} printers; ${submitted} submits in ${submitSeconds.toFixed(1)} s, ${latencies.length} pushes matched, ${errors} errors`);
  console.log(
    JSON.stringify({
      bench: 'push-latency',
      subscribedSessions: subscribed,
      printers: printerCount,
      submitsPerSecond: Math.round(submitted / submitSeconds),
      pushesMatched: latencies.length,
      pushBeforeResponse: latencies.filter((l) => l < 0).length,
      p50Ms: round(percentile(latencies, 50), 3),
      p99Ms: round(percentile(latencies, 99), 3),
      maxMs: round(Math.max(...latencies), 3),
      requestToPushP50Ms: round(percentile(fromRequest, 50), 3),
      requestToPushP99Ms: round(percentile(fromRequest, 99), 3),
      errors,
      // The least load-dependent figure: the server's CPU time per submit, its push included.
      serverCpuMsPerSubmit: round((serverCpuSeconds * 1000) / Math.max(1, submitted), 3),
      serverRssMb: Math.round(server.rssKb() / 1024),
      fileCreateUs,
    }),
  );
} finally {
  await Promise.all(clients.map((c) => c.exit()));
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
