// The device side of the push channel (src/client/push-channel.ts), used by
// the printer and the connector, against a real XMPP server core whose test
// module can send the device anything: the device must act only on pushes
// from the channel it subscribed to, whatever a server lets through.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { silentLogger } from '../../src/log.ts';
import { loadTlsMaterial } from '../../src/tls/material.ts';
import { XmppServer, PLAIN, iqResult, type XmppSession } from '../../src/xmpp/index.ts';
import { PUSH_NS } from '../../src/protocol/namespaces.ts';
import { XmppChannel } from '../../src/client/push-channel.ts';
import { tempDir } from '../helpers/server.ts';

const dataDir = tempDir('ocp-push-channel-');
let server: XmppServer;
let port = 0;
/** The device's session once it has subscribed. */
let subscribed: Promise<XmppSession>;
let caPath = '';

before(async () => {
  const tls = await loadTlsMaterial({ dataDir, names: ['localhost'] });
  server = new XmppServer({
    domain: 'localhost',
    tls,
    authenticator: { mechanisms: [PLAIN], authenticate: async ({ credentials }) => ({ local: credentials.authcid }) },
    log: silentLogger(),
  });
  subscribed = new Promise((resolve) => {
    server.use((s) => {
      s.handle(`iq-set/${PUSH_NS}:subscribe`, (iq, session) => {
        session.send(iqResult(iq).attr('from', session.bareJid));
        resolve(session);
        return true;
      });
    });
  });
  port = await server.listen({ name: 'xmpps', mode: 'direct', host: '127.0.0.1', port: 0 });
  caPath = tls.caPath!;
});
after(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const push = (from: string, to: string, payload: string) =>
  `<message from="${from}" to="${to}"><push xmlns="google:push" channel="cloudprint.google.com"><data>${Buffer.from(payload).toString('base64')}</data></push></message>`;

test('a push is acted on only when it comes from the channel subscribed to (cloudprint.google.com)', async () => {
  const payloads: string[] = [];
  let genuine: () => void = () => {};
  const received = new Promise<void>((resolve) => (genuine = resolve));
  const channel = new XmppChannel({
    service: `xmpps://127.0.0.1:${port}`,
    jid: 'robot@localhost',
    password: async () => 'token',
    ca: caPath,
    resource: 'device',
    pingIntervalSeconds: () => 300,
    log: silentLogger(),
    onState: () => {},
    onPush: (payload) => {
      payloads.push(payload);
      if (payload === 'genuine') genuine();
    },
  });
  channel.start();
  try {
    const session = await subscribed;
    // What a server that let accounts' messages through would deliver: the sender's own JID in `from`.
    session.send(push('mallory@localhost/x', session.jid, 'from-an-account'));
    session.send(push('localhost', session.jid, 'from-the-server-domain'));
    session.send(push('cloudprint.google.com.evil.example', session.jid, 'look-alike'));
    session.send(push('cloudprint.google.com', session.jid, 'genuine'));
    await received;
    assert.deepEqual(payloads, ['genuine'], 'stanzas arrive in order: the forged ones came first and were ignored');
  } finally {
    await channel.stop();
  }
});
