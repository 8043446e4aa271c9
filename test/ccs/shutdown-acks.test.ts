// A node shutting down waits for its devices' last ACKs (issue 20, rolling
// restart): a device that got a message just before SIGTERM and ACKs it a
// moment later must not get it again on its next session (001, "Message
// Format": CCS resends only what was not ACKed).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCcsServer, newDevice, settle } from './helpers.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { StreamClient } from '../../src/xmpp/client/stream-client.ts';
import { gcmStanza } from '../../src/protocol/gcm-stanza.ts';
import { waitFor } from '../helpers/wait.ts';

const servers: TestServer[] = [];
after(async () => {
  for (const server of servers) await server.stop();
});

test('a device ACK arriving while the node shuts down is stored: no second delivery after the restart', async () => {
  const first = await startCcsServer();
  const device = await newDevice(first, { autoAck: false });
  const app = await StreamClient.connect({ host: '127.0.0.1', port: first.ports.ccs!, ca: first.ca, domain: 'gcm.googleapis.com', username: `${first.senderId}@gcm.googleapis.com`, password: first.apiKey });
  app.send(gcmStanza(JSON.stringify({ to: device.registration.registration_id, message_id: 'late-ack', data: { n: '1' } })));
  const [message] = await device.next();
  await app.close();

  // A slow device: its ACK leaves 100 ms after the shutdown began, once the node has stopped sending.
  const stopping = first.stop({ keepData: true });
  await settle(100);
  device.device.ack(message!.message_id);
  await stopping;
  await waitFor('the device session ended', () => !device.device.connected);

  const second = await startTestServer({ dataDir: first.dataDir, ccsPlainPort: -1 });
  servers.push(second);
  Object.assign(first.ports, second.ports); // the device reconnects to `first`'s ports
  await device.reconnect();
  await settle(500);
  assert.equal(device.received.length, 1, 'the ACKed message came again');
  device.device.close();
});
