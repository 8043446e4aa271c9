// Load generator for bench/ccs-throughput.ts: one app-server connection (SDK)
// with a window, sending messages round-robin to the device tokens; reports
// send→ACK latency percentiles as one JSON line.
import { readFileSync } from 'node:fs';
import { CcsAppServer } from '../src/ccs/sdk/appserver.ts';

const [port, caFile, senderId, apiKey, tokensFile, messagesArg, windowArg] = process.argv.slice(2);
const tokens = JSON.parse(readFileSync(tokensFile!, 'utf8')) as string[];
const total = Number(messagesArg);
const app = new CcsAppServer({ host: '127.0.0.1', port: Number(port), ca: readFileSync(caFile!, 'utf8'), senderId: senderId!, apiKey: apiKey!, window: Number(windowArg), maxRetries: 0 });
await app.connect();
const latencies = new Float64Array(total);
let nacked = 0;
let done = 0;
const firstSendAt = Date.now();
await new Promise<void>((resolve) => {
  let next = 0;
  // Only as many as the window takes: send() then writes at once, so the
  // latency measured is the wire's send→ACK, not time queued in the SDK.
  const feed = () => {
    while (next < total && app.queued === 0) {
      const i = next++;
      const sentAt = performance.now();
      app.send({ to: tokens[i % tokens.length], message_id: `b-${i}`, data: { t: String(Date.now()) } }).then(
        () => (latencies[i] = performance.now() - sentAt),
        () => nacked++,
      ).finally(() => {
        if (++done === total) resolve();
        else feed();
      });
    }
  };
  feed();
});
const sorted = Array.from(latencies).filter((l) => l > 0).sort((a, b) => a - b);
const pct = (p: number) => Math.round((sorted[Math.floor(sorted.length * p)] ?? 0) * 10) / 10;
process.stdout.write(JSON.stringify({ firstSendAt, nacked, p50: pct(0.5), p99: pct(0.99) }) + '\n');
app.close();
process.exit(0);
