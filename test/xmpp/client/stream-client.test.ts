// The XMPP client stream (src/xmpp/client/stream-client.ts) that the CCS SDKs
// and the devices' push channel run on, against a raw TLS server that writes
// exactly the bytes each test needs: UTF-8 split across TLS records, the SASL
// mechanism it picks, id-correlated IQ requests and their deadlines.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import { Element } from 'ltx';
import { loadTlsMaterial, type TlsMaterial } from '../../../src/tls/material.ts';
import { StreamClient, type StreamClientOptions } from '../../../src/xmpp/client/stream-client.ts';
import { IqError, IqTimeoutError } from '../../../src/xmpp/client/iq-request.ts';
import { tempDir } from '../../helpers/server.ts';

const dataDir = tempDir('ocp-stream-client-');
let tls: TlsMaterial;
before(async () => {
  tls = await loadTlsMaterial({ dataDir, names: ['localhost'] });
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

const HEADER = `<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" from="localhost" id="1" version="1.0">`;
const BOUND = 'robot@localhost/device';

interface RawServer {
  port: number;
  /** The `<auth>` elements the clients sent, as received. */
  auths: string[];
  close(): Promise<void>;
}

/**
 * A raw TLS XMPP server: offers `mechanisms`, accepts any `<auth>`, binds BOUND
 * (no session), then hands the socket and everything the client sends after
 * that to `bound`.
 */
async function rawServer(mechanisms: string[], bound: (socket: TLSSocket, received: (pattern: RegExp) => Promise<RegExpMatchArray>) => void): Promise<RawServer> {
  const auths: string[] = [];
  const sockets = new Set<TLSSocket>();
  const server: TlsServer = createTlsServer({ cert: tls.cert, key: tls.key }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    let wake = () => {};
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      wake();
    });
    const received = async (pattern: RegExp): Promise<RegExpMatchArray> => {
      for (;;) {
        const match = buffer.match(pattern);
        if (match) {
          buffer = buffer.slice(match.index! + match[0].length);
          return match;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };
    void (async () => {
      await received(/<stream:stream[^>]*>/);
      socket.write(`${HEADER}<stream:features><mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl">${mechanisms.map((m) => `<mechanism>${m}</mechanism>`).join('')}</mechanisms></stream:features>`);
      auths.push((await received(/<auth[^>]*>[^<]*<\/auth>/))[0]);
      socket.write('<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>');
      await received(/<stream:stream[^>]*>/);
      socket.write(`${HEADER}<stream:features><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>`);
      const [, id] = (await received(/<iq[^>]*id="([^"]*)"[^>]*>.*?<\/iq>/))!;
      socket.write(`<iq type="result" id="${id}"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><jid>${BOUND}</jid></bind></iq>`);
      bound(socket, received);
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    auths,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

const options = (port: number, extra: Partial<StreamClientOptions> = {}): StreamClientOptions => ({
  host: '127.0.0.1',
  port,
  ca: tls.cert,
  servername: 'localhost',
  domain: 'localhost',
  username: 'robot',
  password: 'token',
  resource: 'device',
  ...extra,
});

const decodedAuth = (auth: string) => ({
  mechanism: auth.match(/mechanism="([^"]*)"/)?.[1],
  blob: Buffer.from(auth.replace(/^<auth[^>]*>|<\/auth>$/g, ''), 'base64').toString(),
});

test('a multi-byte character split across two TLS writes arrives intact', async () => {
  const bytes = Buffer.from('<message from="localhost"><body>Ünïcödé café ✓</body></message>');
  const split = bytes.indexOf(Buffer.from('é')) + 1; // inside the two bytes of "é"
  const server = await rawServer(['PLAIN'], (socket) => {
    // Two writes, two TLS records; the pause lets the client read the first on its own.
    socket.write(bytes.subarray(0, split), () => setTimeout(() => socket.write(bytes.subarray(split)), 50));
  });
  let client: StreamClient | undefined;
  try {
    const message = new Promise<Element>((resolve) => {
      void StreamClient.connect(options(server.port), resolve).then((connected) => (client = connected));
    });
    assert.equal((await message).getChildText('body'), 'Ünïcödé café ✓');
  } finally {
    await client?.close();
    await server.close();
  }
});

test('X-OAUTH2 is chosen when offered and preferred; PLAIN otherwise', async () => {
  // The order GCP's server offered them in (GCP §c).
  const server = await rawServer(['PLAIN', 'X-GOOGLE-TOKEN', 'X-OAUTH2'], () => {});
  try {
    const preferring = await StreamClient.connect(options(server.port, { mechanisms: ['X-OAUTH2', 'PLAIN'] }));
    await preferring.close();
    const plainOnly = await StreamClient.connect(options(server.port));
    await plainOnly.close();
    assert.deepEqual(server.auths.map(decodedAuth), [
      { mechanism: 'X-OAUTH2', blob: '\0robot\0token' },
      { mechanism: 'PLAIN', blob: '\0robot\0token' },
    ]);
  } finally {
    await server.close();
  }
  const plainServer = await rawServer(['PLAIN'], () => {});
  try {
    const client = await StreamClient.connect(options(plainServer.port, { mechanisms: ['X-OAUTH2', 'PLAIN'] }));
    await client.close();
    assert.deepEqual(plainServer.auths.map(decodedAuth), [{ mechanism: 'PLAIN', blob: '\0robot\0token' }]);
    await assert.rejects(StreamClient.connect(options(plainServer.port, { mechanisms: ['X-OAUTH2'] })), /offers none of X-OAUTH2/);
  } finally {
    await plainServer.close();
  }
});

const ping = (to: string) => new Element('iq', { type: 'get', to }).c('ping', { xmlns: 'urn:xmpp:ping' }).root();

test('request() times out and removes its waiter; a late answer is not taken for it', async () => {
  let later: Promise<void> = Promise.resolve();
  const server = await rawServer(['PLAIN'], (socket, received) => {
    later = (async () => {
      const [, id] = (await received(/<iq[^>]*id="([^"]*)"[^>]*>/))!;
      // The answer comes only after the deadline.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      socket.write(`<iq type="result" id="${id}" from="cloudprint.google.com"/>`);
    })();
  });
  const client = await StreamClient.connect(options(server.port));
  const late: Element[] = [];
  client.onStanza = (stanza) => late.push(stanza);
  try {
    const started = Date.now();
    await assert.rejects(client.request(ping('cloudprint.google.com'), 100), IqTimeoutError);
    assert.ok(Date.now() - started < 900, 'rejected at the deadline, not when the answer came');
    assert.equal(client.pendingRequests, 0, 'the waiter is gone');
    await later;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(late.map((stanza) => stanza.attrs.type), ['result'], 'the late answer is an ordinary stanza now');
  } finally {
    await client.close();
    await server.close();
  }
});

test('request() takes only an answer from the address asked, and an error answer rejects', async () => {
  const server = await rawServer(['PLAIN'], (socket, received) => {
    void (async () => {
      const [, first] = (await received(/<iq[^>]*id="([^"]*)"[^>]*>/))!;
      // Another account guesses the id: the server stamps its own JID in `from`.
      socket.write(`<iq type="result" id="${first}" from="mallory@localhost/x"/>`);
      socket.write(`<iq type="result" id="${first}" from="CloudPrint.google.com"/>`);
      const [, second] = (await received(/<iq[^>]*id="([^"]*)"[^>]*>/))!;
      socket.write(`<iq type="error" id="${second}" from="localhost"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`);
    })();
  });
  const client = await StreamClient.connect(options(server.port));
  const others: Element[] = [];
  client.onStanza = (stanza) => others.push(stanza);
  try {
    const answer = await client.request(ping('cloudprint.google.com'), 5000);
    assert.equal(answer.attrs.from, 'CloudPrint.google.com');
    assert.deepEqual(others.map((stanza) => stanza.attrs.from), ['mallory@localhost/x']);
    await assert.rejects(client.request(ping('localhost'), 5000), (error: unknown) => error instanceof IqError && error.condition === 'service-unavailable');
    assert.equal(client.pendingRequests, 0);
  } finally {
    await client.close();
    await server.close();
  }
});

test('closing the stream rejects the requests still waiting', async () => {
  const server = await rawServer(['PLAIN'], () => {});
  const client = await StreamClient.connect(options(server.port));
  try {
    const waiting = client.request(ping('cloudprint.google.com'), 5000);
    const closed = client.close();
    await assert.rejects(waiting, /connection closed/);
    assert.equal(client.pendingRequests, 0);
    await closed;
  } finally {
    await server.close();
  }
});

test('the connect timeout covers a server that never completes TLS, and the socket is closed', async () => {
  const accepted: Socket[] = [];
  const silent: TcpServer = createTcpServer((socket) => {
    accepted.push(socket);
    socket.resume(); // reads (and drops) the ClientHello, and sees the end
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  try {
    const port = (silent.address() as { port: number }).port;
    await assert.rejects(StreamClient.connect(options(port, { timeoutMs: 200 })), /timed out/);
    assert.equal(accepted.length, 1);
    if (!accepted[0]!.closed) await once(accepted[0]!, 'close');
    const aborted = new AbortController();
    const attempt = StreamClient.connect(options(port, { signal: aborted.signal }));
    while (accepted.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    aborted.abort();
    await assert.rejects(attempt, /aborted/);
    if (!accepted[1]!.closed) await once(accepted[1]!, 'close');
  } finally {
    for (const socket of accepted) socket.destroy();
    silent.close();
    await once(silent, 'close');
  }
});
