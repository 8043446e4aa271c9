// The device side of the push channel (src/client/push-channel.ts), used by
// the printer and the connector, against a real XMPP server core whose test
// module can send the device anything: the device must act only on pushes
// from the channel it subscribed to, whatever a server lets through. Also how
// it logs in (X-OAUTH2, GCP §c), what it says when the certificate is not
// trusted, and that stop() ends a connection attempt at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { once } from 'node:events';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { pino, type Logger } from 'pino';
import { silentLogger } from '../../src/log.ts';
import { loadTlsMaterial } from '../../src/tls/material.ts';
import { XmppServer, PLAIN, X_OAUTH2, iqResult, type XmppSession } from '../../src/xmpp/index.ts';
import { PUSH_NS } from '../../src/protocol/namespaces.ts';
import { XmppChannel } from '../../src/client/push-channel.ts';
import { tempDir } from '../helpers/server.ts';

const dataDir = tempDir('ocp-push-channel-');
let server: XmppServer;
let port = 0;
/** The device's session once it has subscribed. */
let subscribed: Promise<XmppSession>;
let caPath = '';
/** The SASL mechanism of every login, in order. */
const mechanismsUsed: string[] = [];

before(async () => {
  const tls = await loadTlsMaterial({ dataDir, names: ['localhost'] });
  server = new XmppServer({
    domain: 'localhost',
    tls,
    // Offered in the order GCP's server did: PLAIN first (GCP §c).
    authenticator: {
      mechanisms: [PLAIN, X_OAUTH2],
      authenticate: async ({ mechanism, credentials }) => {
        mechanismsUsed.push(mechanism);
        return { local: credentials.authcid };
      },
    },
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

function channelOptions(overrides: Partial<ConstructorParameters<typeof XmppChannel>[0]> = {}): ConstructorParameters<typeof XmppChannel>[0] {
  return {
    service: `xmpps://127.0.0.1:${port}`,
    jid: 'robot@localhost',
    password: async () => 'token',
    ca: caPath,
    resource: 'device',
    pingIntervalSeconds: () => 300,
    log: silentLogger(),
    onState: () => {},
    onPush: () => {},
    ...overrides,
  };
}

/** A logger that keeps every line it writes. */
function recordingLogger(lines: Array<Record<string, unknown>>): Logger {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
}

test('the channel logs in with X-OAUTH2 when the server offers it, as GCP 2.0 devices did', async () => {
  let online: () => void = () => {};
  const isOnline = new Promise<void>((resolve) => (online = resolve));
  const before = mechanismsUsed.length;
  const channel = new XmppChannel(channelOptions({ onState: (state) => state === 'online' && online() }));
  channel.start();
  try {
    await isOnline;
    assert.deepEqual(mechanismsUsed.slice(before), ['X-OAUTH2']);
  } finally {
    await channel.stop();
  }
});

test("without the server's CA the channel says the certificate is not trusted, and keeps trying", async () => {
  const lines: Array<Record<string, unknown>> = [];
  const states: string[] = [];
  const channel = new XmppChannel(channelOptions({ ca: undefined, log: recordingLogger(lines), onState: (state) => states.push(state) }));
  channel.start();
  try {
    const deadline = Date.now() + 10_000;
    const isFailure = (line: Record<string, unknown>) => String(line.msg).startsWith('XMPP connection failed');
    while (!lines.some(isFailure) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const failed = lines.find(isFailure);
    assert.equal(failed?.msg, 'XMPP connection failed: certificate not verified');
    assert.match(String(failed?.err), /certificate/, 'the TLS verification error is in the log');
    assert.match(String(failed?.advice), /--ca/, 'the log says which option fixes it');
    assert.deepEqual(states, ['connecting', 'offline'], 'offline, with a retry pending');
  } finally {
    await channel.stop();
  }
});

test('stop() ends a connection attempt that is still negotiating', async () => {
  const accepted: Socket[] = [];
  const silent = createTcpServer((socket) => {
    accepted.push(socket);
    socket.resume();
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  try {
    const channel = new XmppChannel(channelOptions({ service: `xmpps://127.0.0.1:${(silent.address() as { port: number }).port}` }));
    channel.start();
    while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = Date.now();
    await channel.stop();
    assert.ok(Date.now() - started < 2000, `stop() took ${Date.now() - started} ms`);
    if (!accepted[0]!.closed) await once(accepted[0]!, 'close');
    assert.equal(channel.state, 'offline');
  } finally {
    for (const socket of accepted) socket.destroy();
    silent.close();
    await once(silent, 'close');
  }
});

test('a service that is not xmpps:// is refused when the channel is made', () => {
  assert.throws(() => new XmppChannel(channelOptions({ service: 'xmpp://127.0.0.1:5222' })), /xmpps:\/\/host:port/);
});
