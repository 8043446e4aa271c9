// Interop: an app server on @xmpp/client (node-xcs style) exchanges messages
// with simulated devices through our CCS over direct TLS: downstream with
// ACKs and receipts, upstream with ACK and echo.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { newDevice, startCcsServer, type TestDevice } from '../ccs/helpers.ts';

const script = new URL('./ccs-xmppjs-appserver.ts', import.meta.url).pathname;
let server: Awaited<ReturnType<typeof startCcsServer>>;
let devices: TestDevice[];
let child: ChildProcessWithoutNullStreams;
const events: Array<Record<string, any>> = [];

async function waitFor(predicate: (event: Record<string, any>) => boolean, count = 1, timeoutMs = 15_000): Promise<Array<Record<string, any>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = events.filter(predicate);
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`@xmpp/client app server: ${found.length}/${count} events; all: ${JSON.stringify(events).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  server = await startCcsServer();
  devices = [await newDevice(server), await newDevice(server)];
  child = spawn(process.execPath, ['--import', 'tsx', script, String(server.ports.ccs), server.senderId, server.apiKey], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: server.context.tls.caPath },
    stdio: 'pipe',
  });
  child.stderr.on('data', (d) => process.stderr.write(d));
  createInterface({ input: child.stdout }).on('line', (line) => events.push(JSON.parse(line) as Record<string, any>));
  await waitFor((e) => e.event === 'online');
});

after(async () => {
  child.kill();
  for (const d of devices) d.device.close();
  await server.stop();
});

test('downstream from @xmpp/client: every message ACKed, delivered, and a receipt for each', async () => {
  for (const d of devices) child.stdin.write(`send ${d.registration.registration_id} 20\n`);
  const acks = await waitFor((e) => e.event === 'ack', 40);
  assert.equal(new Set(acks.map((a) => `${a.message.from}/${a.message.message_id}`)).size, 40);
  for (const d of devices) assert.deepEqual((await d.next(20)).map((m) => m.data!.i), Array.from({ length: 20 }, (_, i) => String(i)));
  const receipts = await waitFor((e) => e.event === 'receipt', 40);
  assert.ok(receipts.every((r) => r.message.message_id.startsWith('dr2:xmppjs-') && r.message.data.message_status === 'MESSAGE_SENT_TO_DEVICE'));
  assert.equal(events.filter((e) => e.event === 'nack' || e.event === 'error').length, 0);
});

test('upstream to @xmpp/client: delivered once, ACKed, echoed back to the device', async () => {
  const [phone] = devices;
  await phone!.device.send({ to: `${server.senderId}@fcm.googleapis.com`, message_id: 'js-up', data: { text: 'hi' } });
  const [upstream] = await waitFor((e) => e.event === 'upstream');
  assert.equal(upstream!.message.from, phone!.registration.registration_id);
  const [echo] = await phone!.next();
  assert.deepEqual(echo!.data, { echo: '{"text":"hi"}' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(events.filter((e) => e.event === 'upstream').length, 1);
});
