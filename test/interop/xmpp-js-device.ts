// A device written with @xmpp/client (xmpp.js), run as a child process so
// that NODE_EXTRA_CA_CERTS makes it trust the server's private CA. It logs in,
// subscribes to the push channel, prints each step on stdout and exits after
// one push and one ping.
//   node --import tsx xmpp-js-device.ts SERVICE DOMAIN USERNAME PASSWORD
import { client, xml, type XmppElement } from '@xmpp/client';

const [service, domain, username, password] = process.argv.slice(2) as [string, string, string, string];
const xmpp = client({ service, domain, username, password, resource: 'xmppjs' });
const say = (line: string) => process.stdout.write(`${line}\n`);

xmpp.on('error', (error: Error) => {
  say(`ERROR ${error.message}`);
  process.exit(1);
});

// A queued job left by an earlier test may be replayed on subscribe before the
// REST push arrives: act on the first push only, and ignore any that come while stopping.
let handled = false;
xmpp.on('stanza', async (stanza: XmppElement) => {
  const push = stanza.is('message') ? stanza.getChild('push', 'google:push') : undefined;
  if (!push || handled) return;
  handled = true;
  say(`PUSH ${stanza.attrs.from} ${Buffer.from(push.getChildText('data') ?? '', 'base64').toString()}`);
  const pong = await xmpp.iqCaller.request(xml('iq', { type: 'get', to: 'cloudprint.google.com' }, xml('ping', { xmlns: 'urn:xmpp:ping' })), 5000);
  say(`PONG ${pong.attrs.from}`);
  await xmpp.stop();
  process.exit(0);
});

const address = await xmpp.start();
say(`ONLINE ${address.toString()}`);
const bare = address.bare().toString();
const result = await xmpp.iqCaller.request(
  xml('iq', { type: 'set', to: bare }, xml('subscribe', { xmlns: 'google:push' }, xml('item', { channel: 'cloudprint.google.com', from: 'cloudprint.google.com' }))),
  5000,
);
say(`SUBSCRIBED ${result.attrs.to} ${result.attrs.from}`);
