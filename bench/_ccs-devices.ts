// Load generator for bench/ccs-throughput.ts: holds device sessions (device
// SDK), ACKs every message, reports receipt counts and send→receipt latencies
// (the app server puts its send time in `data.t`) as JSON lines.
import { readFileSync } from 'node:fs';
import { CcsDevice } from '../src/ccs/sdk/device.ts';

const [port, caFile, devicesFile] = process.argv.slice(2);
const ca = readFileSync(caFile!, 'utf8');
const devices = JSON.parse(readFileSync(devicesFile!, 'utf8')) as Array<{ jid: string; password: string }>;
let count = 0;
let lastAt = 0;
let latencies: number[] = [];

const queue = [...devices];
async function worker(): Promise<void> {
  for (let d = queue.shift(); d; d = queue.shift()) {
    const device = new CcsDevice({ host: '127.0.0.1', port: Number(port), ca, jid: d.jid, password: d.password });
    device.on('message', (message) => {
      count++;
      lastAt = Date.now();
      if (count % 10 === 0) latencies.push(lastAt - Number(message.data?.t));
    });
    await device.connect();
  }
}
await Promise.all(Array.from({ length: 50 }, worker));
process.stdout.write(JSON.stringify({ event: 'ready' }) + '\n');
setInterval(() => {
  if (!count) return;
  process.stdout.write(JSON.stringify({ event: 'received', count, lastAt, latencies }) + '\n');
  count = 0;
  latencies = [];
}, 200);
