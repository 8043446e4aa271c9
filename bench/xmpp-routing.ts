// `npm run bench -- xmpp-routing [--pairs N] [--messages N] [--in-flight N] [--rate N]`:
// 2 × pairs device sessions in a load-generator process; each sender sends
// ~300-byte chat messages to its receiver's full JID through `ocp server`
// (own process), at most `in-flight` on the way at once, as fast as possible
// or at `--rate` messages/s. Prints messages/s,
// p50/p99 latency and the server's CPU seconds per 20,000 messages.
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { tempDir } from '../test/helpers/server.ts';
import { createRobotAccounts } from './lib/accounts.ts';
import { startServerProcess } from './lib/server-process.ts';
import { forkLoadClient } from './lib/xmpp-load-client.ts';
import { percentile, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '500' },
    messages: { type: 'string', default: '20000' },
    'in-flight': { type: 'string', default: '200' },
    'body-bytes': { type: 'string', default: '300' },
    /** Offered load in messages/s (0 = saturate: each receipt sends the next message). */
    rate: { type: 'string', default: '0' },
  },
});
const pairs = Number(values.pairs);
const messages = Math.min(Number(values.messages), 1_000_000);

const dataDir = tempDir('ocp-bench-routing-');
const accounts = await createRobotAccounts(dataDir, pairs * 2);
const server = await startServerProcess(dataDir);
const client = forkLoadClient();
try {
  const connected = client.next('connected');
  client.send({ op: 'connect', port: server.ports.xmpps!, caPath: server.caPath, domain: 'localhost', accounts, concurrency: 32, subscribe: false, mode: 'direct' });
  const { ok } = await connected;
  if (ok < pairs * 2) throw new Error(`only ${ok} of ${pairs * 2} sessions connected`);
  const warm = client.next('routed');
  client.send({ op: 'route', pairs, messages: 2000, inFlight: Number(values['in-flight']), bodyBytes: Number(values['body-bytes']), rate: 0 });
  await warm;
  const cpuBefore = server.cpuSeconds();
  const routed = client.next('routed');
  client.send({ op: 'route', pairs, messages, inFlight: Number(values['in-flight']), bodyBytes: Number(values['body-bytes']), rate: Number(values.rate) });
  const result = await routed;
  const cpu = server.cpuSeconds() - cpuBefore;
  console.log(`${result.count} messages in ${result.seconds.toFixed(2)} s between ${pairs} pairs`);
  console.log(
    JSON.stringify({
      bench: 'xmpp-routing',
      messagesPerSecond: Math.round(result.count / result.seconds),
      p50Ms: round(percentile(result.latencies, 50), 3),
      p99Ms: round(percentile(result.latencies, 99), 3),
      serverCpuSecondsPer20k: round((cpu * 20_000) / result.count, 3),
      // What limits the rate: a core is 1 CPU second per second, shared by everyone on the machine.
      serverCpuShare: round(cpu / result.seconds, 2),
      loadGeneratorCpuShare: round(result.clientCpuSeconds / result.seconds, 2),
      loadAverage: loadavg().map((l) => round(l, 1)),
      messages: result.count,
      pairs,
      inFlight: Number(values['in-flight']),
      offeredRate: Number(values.rate) || 'saturating',
      bodyBytes: Number(values['body-bytes']),
    }),
  );
} finally {
  await client.exit();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
