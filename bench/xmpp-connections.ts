// `npm run bench -- xmpp-connections [--sessions N] [--clients N] [--concurrency N] [--starttls] [--baseline]`:
// opens N device sessions (direct TLS, SASL PLAIN, bind, google:push
// subscribe) from separate load-generator processes against `ocp server` in
// its own process, holds them idle and prints the server's memory per session
// and the connect rate. Loopback only; N is bounded by the open-file limit.
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { tempDir } from '../test/helpers/server.ts';
import { createRobotAccounts } from './lib/accounts.ts';
import { startServerProcess, startTlsBaseline } from './lib/server-process.ts';
import { forkLoadClient } from './lib/xmpp-load-client.ts';
import { round } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '15000' },
    clients: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '48' },
    /** Measure a bare Node TLS server instead (TLS handshake only): the floor the XMPP figures compare with. */
    baseline: { type: 'boolean', default: false },
    /** Connect to the STARTTLS port (plain TCP, then STARTTLS) instead of the direct-TLS one. */
    starttls: { type: 'boolean', default: false },
  },
});
const sessions = Math.min(Number(values.sessions), 18_000);
const clientCount = Number(values.clients);

const dataDir = tempDir('ocp-bench-xmpp-');
const baseline = values.baseline === true;
const starttls = values.starttls === true && !baseline;
const accounts = baseline ? Array.from({ length: sessions }, () => ({ local: '', token: '' })) : await createRobotAccounts(dataDir, sessions);
const server = baseline ? await startTlsBaseline(dataDir) : await startServerProcess(dataDir, ['--xmpp-handshake-timeout', '120']);
const clients = Array.from({ length: clientCount }, forkLoadClient);
try {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const rssBeforeKb = server.rssKb();
  const cpuBefore = server.cpuSeconds();
  const perClient = Math.ceil(sessions / clientCount);
  const results = await Promise.all(
    clients.map((client, i) => {
      const done = client.next('connected');
      client.send({ op: 'connect', port: starttls ? server.ports.xmpp! : server.ports.xmpps!, caPath: server.caPath, domain: 'localhost', accounts: accounts.slice(i * perClient, (i + 1) * perClient), concurrency: Number(values.concurrency), subscribe: true, mode: baseline ? 'tls-only' : starttls ? 'starttls' : 'direct' });
      return done;
    }),
  );
  const connectSeconds = Math.max(...results.map((r) => r.seconds));
  const serverCpu = server.cpuSeconds() - cpuBefore;
  const ok = results.reduce((sum, r) => sum + r.ok, 0);
  const failed = results.reduce((sum, r) => sum + r.failed, 0);
  const clientCpu = results.reduce((sum, r) => sum + r.clientCpuSeconds, 0);
  for (const r of results) if (r.errors.length) console.error('errors:', r.errors);
  // Let the sessions settle idle, then measure.
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const rssAfterKb = server.rssKb();
  const metrics = baseline ? '' : await (await fetch(`${server.url}/metrics`)).text();
  const serverSessions = baseline ? ok : Number(new RegExp(`^ocp_xmpp_sessions\\{listener="${starttls ? 'xmpp' : 'xmpps'}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
  console.log(`${ok} sessions (${failed} failed) in ${connectSeconds.toFixed(1)} s; server RSS ${Math.round(rssBeforeKb / 1024)} → ${Math.round(rssAfterKb / 1024)} MiB`);
  console.log(
    JSON.stringify({
      bench: baseline ? 'xmpp-connections --baseline (bare TLS server)' : 'xmpp-connections',
      sessions: ok,
      failed,
      serverSessions,
      sessionsPerSecond: Math.round(ok / connectSeconds),
      rssKbPerSession: round((rssAfterKb - rssBeforeKb) / Math.max(1, ok), 1),
      serverRssMb: { before: Math.round(rssBeforeKb / 1024), after: Math.round(rssAfterKb / 1024) },
      serverCpuMsPerSession: round((serverCpu * 1000) / Math.max(1, ok), 3),
      // The load generators share the cores: their cost bounds the rate as much as the server's.
      clientCpuMsPerSession: round((clientCpu * 1000) / Math.max(1, ok), 3),
      // Fraction of the connect phase the server process was on a core.
      serverBusy: round(serverCpu / connectSeconds, 2),
      loadClients: clientCount,
      transport: baseline ? 'TLS 1.3 handshake only, ECDSA P-256' : `${starttls ? 'STARTTLS' : 'direct TLS'} 1.3, ECDSA P-256, PLAIN, bind, subscribe`,
      loadAverage: loadavg().map((l) => round(l, 1)),
    }),
  );
} finally {
  await Promise.all(clients.map((c) => c.exit()));
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
