// An app server on @xmpp/client (as node-xcs 0.1.8 builds one): direct TLS
// to the CCS port, PLAIN as `SENDER@fcm.googleapis.com`, `<message id="">`
// requests with receipts, ACKs for upstream messages and receipts, an echo
// for every upstream message. Run as a child process so that
// NODE_EXTRA_CA_CERTS can make @xmpp/client trust the test CA. Reports events
// as JSON lines; reads `send TOKEN N` commands from stdin.
import { createInterface } from 'node:readline';
import { client, xml } from '@xmpp/client';

const [port, sender, apiKey] = process.argv.slice(2);
const report = (event: Record<string, unknown>) => process.stdout.write(JSON.stringify(event) + '\n');

const xmpp = client({ service: `xmpps://127.0.0.1:${port}`, domain: 'fcm.googleapis.com', username: `${sender}@fcm.googleapis.com`, password: apiKey });
const send = (json: Record<string, unknown>) => xmpp.send(xml('message', { id: '' }, xml('gcm', { xmlns: 'google:mobile:data' }, JSON.stringify(json))));

xmpp.on('error', (error: Error) => report({ event: 'error', message: error.message }));
xmpp.on('stanza', (stanza) => {
  if (!stanza.is('message')) return;
  const text = stanza.getChildText('gcm', 'google:mobile:data');
  if (text === null) return;
  const json = JSON.parse(text) as Record<string, unknown>;
  switch (json.message_type) {
    case undefined:
      void send({ to: json.from, message_id: json.message_id, message_type: 'ack' });
      void send({ to: json.from, message_id: `echo-${String(json.message_id)}`, data: { echo: JSON.stringify(json.data) } });
      return report({ event: 'upstream', message: json });
    case 'receipt':
      void send({ to: json.from, message_id: json.message_id, message_type: 'ack' });
      return report({ event: 'receipt', message: json });
    default:
      return report({ event: String(json.message_type), message: json });
  }
});
xmpp.on('online', (address) => report({ event: 'online', jid: address.toString() }));

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, to, count] = line.split(' ');
  if (command === 'send') {
    for (let i = 0; i < Number(count); i++) void send({ to, message_id: `xmppjs-${to!.slice(-8)}-${i}`, data: { i: String(i) }, delivery_receipt_requested: true });
  }
});
await xmpp.start();
