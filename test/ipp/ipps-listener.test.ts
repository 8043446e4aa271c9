// The IPPS listener (src/ipp/ipps-listener.ts) on real sockets: a trusted
// proxy's PROXY header names the client, whom the per-address connection cap
// counts; a PROXY header from anybody else is no TLS and ends the connection;
// a connection that never finishes its TLS handshake is closed after the idle
// timeout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { IppsListener } from '../../src/ipp/ipps-listener.ts';
import { trustedProxies } from '../../src/net/trusted-proxies.ts';
import { loadTlsMaterial, type TlsMaterial } from '../../src/tls/material.ts';
import { capturingLogger } from '../helpers/log.ts';
import { proxyV1, proxyV2 } from '../helpers/proxy-header.ts';
import { tempDir } from '../helpers/server.ts';

let dataDir: string;
let tls: TlsMaterial;
let ca: string;

before(async () => {
  dataDir = tempDir('ocp-ipps-');
  tls = await loadTlsMaterial({ dataDir, names: ['localhost'] });
  ca = readFileSync(tls.caPath!, 'utf8');
});
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** A listener on a free loopback port whose handler answers each request with the client address it was given. */
async function startListener(options: { trusted?: string[]; idleTimeoutMs?: number; maxConnectionsPerAddress?: number }) {
  const { log } = capturingLogger('fatal');
  const proxyProtocol = options.trusted ? { trusted: trustedProxies(options.trusted), headerTimeoutMs: 2000, maxHeaderBytes: 1024 } : undefined;
  const listener = new IppsListener(
    { tls, log, proxyProtocol, idleTimeoutMs: options.idleTimeoutMs ?? 30_000, maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 0 },
    (_req, res, client) => res.end(client),
  );
  const port = await listener.listen(0, '127.0.0.1');
  return { listener, port };
}

/** A TCP connection to `port` that first writes `header` (if any), then TLS over it; resolves once the handshake is done. */
async function tlsThrough(port: number, header?: Buffer): Promise<TLSSocket> {
  const raw = connectTcp(port, '127.0.0.1');
  await once(raw, 'connect');
  if (header) raw.write(header);
  const socket = connectTls({ socket: raw, ca, servername: 'localhost' });
  await once(socket, 'secureConnect');
  return socket;
}

/** GET / on `socket`: the body, which the test handler makes the client's address. */
async function askWho(socket: TLSSocket): Promise<string> {
  socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
  let text = '';
  for await (const chunk of socket) {
    text += String(chunk);
    const [head = '', body] = text.split('\r\n\r\n');
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? NaN);
    if (body !== undefined && body.length >= length) return body.slice(0, length);
  }
  throw new Error(`closed after ${JSON.stringify(text)}`);
}

/** Resolves once `socket` has closed, with whether it closed before `ms` passed. */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

test('from a trusted proxy, the PROXY header (v1 or v2) names the client; from elsewhere the peer is the client', async () => {
  const { listener, port } = await startListener({ trusted: ['127.0.0.1'] });
  try {
    const v1 = await tlsThrough(port, proxyV1({ address: '203.0.113.7', port: 40000 }));
    assert.equal(await askWho(v1), '203.0.113.7');
    const v2 = await tlsThrough(port, proxyV2({ address: '2001:db8::9', port: 40001 }));
    assert.equal(await askWho(v2), '2001:db8::9');
    v1.destroy();
    v2.destroy();
  } finally {
    await listener.close();
  }
  const direct = await startListener({});
  try {
    const socket = await tlsThrough(direct.port);
    assert.equal(await askWho(socket), '127.0.0.1');
    socket.destroy();
  } finally {
    await direct.listener.close();
  }
});

test('a PROXY header from a peer that is not a trusted proxy is no TLS: the connection ends without a handshake', async () => {
  const { listener, port } = await startListener({});
  try {
    await assert.rejects(tlsThrough(port, proxyV1({ address: '203.0.113.7', port: 40000 })));
  } finally {
    await listener.close();
  }
});

test('the per-address cap counts the client the PROXY header names, not the proxy', async () => {
  const { listener, port } = await startListener({ trusted: ['127.0.0.1'], maxConnectionsPerAddress: 2 });
  const open: TLSSocket[] = [];
  try {
    for (let i = 0; i < 2; i++) open.push(await tlsThrough(port, proxyV2({ address: '198.51.100.2', port: 41000 + i })));
    await assert.rejects(tlsThrough(port, proxyV2({ address: '198.51.100.2', port: 41100 })), 'a third connection of 198.51.100.2 is closed');
    const other = await tlsThrough(port, proxyV2({ address: '198.51.100.3', port: 41200 }));
    open.push(other);
    assert.equal(await askWho(other), '198.51.100.3');
    // A closed connection makes room again.
    const first = open.shift()!;
    first.destroy();
    await once(first, 'close');
    const again = await tlsThrough(port, proxyV2({ address: '198.51.100.2', port: 41300 }));
    open.push(again);
    assert.equal(await askWho(again), '198.51.100.2');
  } finally {
    for (const socket of open) socket.destroy();
    await listener.close();
  }
});

test('a connection that never finishes its TLS handshake is closed after the idle timeout', async () => {
  const { listener, port } = await startListener({ idleTimeoutMs: 300 });
  try {
    const silent = connectTcp(port, '127.0.0.1');
    await once(silent, 'connect');
    const started = performance.now();
    assert.ok(await closedWithin(silent, 5000), 'closed by the server');
    assert.ok(performance.now() - started >= 250, `closed after ${Math.round(performance.now() - started)} ms, not before the timeout`);
  } finally {
    await listener.close();
  }
});

test('close() ends open connections, idle or in their handshake', async () => {
  const { listener, port } = await startListener({});
  const idle = await tlsThrough(port);
  const handshaking = connectTcp(port, '127.0.0.1');
  await once(handshaking, 'connect');
  const closed = [closedWithin(idle, 5000), closedWithin(handshaking, 5000)];
  await listener.close();
  assert.deepEqual(await Promise.all(closed), [true, true]);
});
