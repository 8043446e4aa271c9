// Interop: the seed's Python echo app server, on slixmpp (an independent XMPP
// implementation), against our CCS over direct TLS, exchanging messages with
// a simulated device. The server runs with the original's domain so that the
// unmodified client verifies the certificate for gcm.googleapis.com.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { newDevice, startCcsServer, type TestDevice } from '../ccs/helpers.ts';

const script = new URL('./ccs_slixmpp_echo.py', import.meta.url).pathname;
let server: Awaited<ReturnType<typeof startCcsServer>>;
let device: TestDevice;
let python: ChildProcessWithoutNullStreams;
const events: Array<Record<string, any>> = [];

async function waitFor(predicate: (event: Record<string, any>) => boolean, timeoutMs = 10_000): Promise<Record<string, any>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = events.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`slixmpp app server: no such event; got ${JSON.stringify(events)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  server = await startCcsServer({ domain: 'gcm.googleapis.com' });
  device = await newDevice(server);
  python = spawn('/usr/bin/python3', [script, '127.0.0.1', String(server.ports.ccs), server.senderId, server.apiKey, device.registration.registration_id, server.context.tls.caPath ?? ''], { stdio: 'pipe' });
  python.stderr.on('data', (d) => process.stderr.write(d));
  createInterface({ input: python.stdout }).on('line', (line) => events.push(JSON.parse(line) as Record<string, any>));
});

after(async () => {
  python.kill();
  device.device.close();
  await server.stop();
});

test('the slixmpp echo server logs in, its initial message is ACKed and delivered', async () => {
  await waitFor((e) => e.event === 'ready');
  const ack = await waitFor((e) => e.event === 'ack' && e.message.message_id === 'reg_id');
  assert.deepEqual(ack.message, { from: device.registration.registration_id, message_id: 'reg_id', message_type: 'ack' });
  const [first] = await device.next();
  assert.equal(first!.data!.message_destination, 'RegId');
});

test('upstream from the device reaches slixmpp, which ACKs it and answers; the device gets the pong', async () => {
  await device.device.send({ to: `${server.senderId}@gcm.googleapis.com`, message_id: 'py-up-1', data: { hello: 'python' } });
  const upstream = await waitFor((e) => e.event === 'upstream');
  assert.deepEqual(upstream.message, { category: 'com.example.app', data: { hello: 'python' }, message_id: 'py-up-1', from: device.registration.registration_id });
  const [pong] = await device.next();
  assert.deepEqual(pong!.data, { pong: 1 });
  // The echo's ACK arrived; the upstream message is not sent again.
  await waitFor((e) => e.event === 'ack' && e.message.message_id !== 'reg_id');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(events.filter((e) => e.event === 'upstream').length, 1);
});
