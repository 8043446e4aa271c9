// /metrics after a real CCS exchange: messages, ACKs and NACKs by peer and
// direction, and the depths of the durable queues as messages wait and are ACKed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newDevice, rawApp, startCcsServer, type RawApp, type TestDevice } from './helpers.ts';
import { waitFor } from '../helpers/wait.ts';

let server: Awaited<ReturnType<typeof startCcsServer>>;
let app: RawApp;
let phone: TestDevice;

before(async () => {
  server = await startCcsServer();
  app = await rawApp(server);
  phone = await newDevice(server, { autoAck: false });
});
after(async () => {
  app.client.close();
  phone.device.close();
  await server.stop();
});

/** The value of one sample of /metrics, 0 when it is absent. */
async function sample(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const wanted = `${name}{${Object.entries(labels).map(([key, value]) => `${key}="${value}"`).join(',')}}`;
  const line = text.split('\n').find((candidate) => candidate.startsWith(wanted + ' '));
  return line ? Number(line.slice(wanted.length + 1)) : 0;
}
const messages = (peer: string, direction: string, type: string) => sample('ocp_ccs_messages_total', { peer, direction, type });
const queued = (queue: string) => sample('ocp_ccs_queued_messages', { queue });
const reaches = (what: string, read: () => Promise<number>, expected: number) => waitFor(what, async () => (await read()) === expected || undefined, 5000);

test('downstream: the app server\'s message, its ACK and NACK, the copy to the device and its ACK; the queue empties', async () => {
  app.send({ to: phone.registration.registration_id, message_id: 'down-1', data: { a: '1' } });
  assert.equal((await app.next()).message_type, 'ack');
  const [message] = await phone.next();
  assert.equal(await messages('app_server', 'in', 'message'), 1);
  assert.equal(await messages('app_server', 'out', 'ack'), 1);
  assert.equal(await messages('device', 'out', 'message'), 1);
  assert.equal(await queued('downstream'), 1);

  phone.device.ack(message!.message_id);
  await reaches('the device ACK counted', () => messages('device', 'in', 'ack'), 1);
  await reaches('the downstream queue empty', () => queued('downstream'), 0);

  app.send({ to: 'no-such-registration', message_id: 'down-2' });
  assert.equal((await app.next()).message_type, 'nack');
  assert.equal(await messages('app_server', 'out', 'nack'), 1);
});

test('upstream: the device\'s message and its ACK, the copy to the app server and its ACK; the queue empties', async () => {
  await phone.device.send({ to: `${server.senderId}@gcm.googleapis.com`, message_id: 'up-1', data: { b: '2' } });
  assert.equal(await messages('device', 'in', 'message'), 1);
  assert.equal(await messages('device', 'out', 'ack'), 1);
  const upstream = await app.next();
  assert.equal(upstream.message_id, 'up-1');
  assert.equal(await messages('app_server', 'out', 'message'), 1);
  assert.equal(await queued('upstream'), 1);

  app.send({ to: upstream.from as string, message_id: 'up-1', message_type: 'ack' });
  await reaches('the app server ACK counted', () => messages('app_server', 'in', 'ack'), 1);
  await reaches('the upstream queue empty', () => queued('upstream'), 0);
});
