// The idle timeout closes only connections that wait on their client: a slow
// handler or a body the server itself stopped reading (backpressure) is kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { guardHttpServer } from '../../src/http/guard.ts';
import { openStalled } from '../helpers/stalled.ts';

const IDLE_MS = 500;

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/**
 * One request on a connection of its own: a kept-alive one could meet the
 * server's keep-alive timeout (here IDLE_MS) on a loaded machine, and the
 * reset would be that race, not the rule under test.
 */
function post(port: number, path: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk)).on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a handler slower than the idle timeout, and a body held back by the server, still get their answer', async () => {
  const server = createServer((req, res) => {
    if (req.url === '/slow') {
      req.resume();
      setTimeout(() => res.end('slow done'), IDLE_MS * 3);
      return;
    }
    // /held: the server reads nothing for a while (a printer out of paper), then the whole body.
    setTimeout(async () => {
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) size += chunk.length;
      res.end(`read ${size}`);
    }, IDLE_MS * 3);
  });
  guardHttpServer(server, { idleTimeoutMs: IDLE_MS, maxConnectionsPerAddress: 0 });
  const port = await listen(server);
  try {
    assert.deepEqual(await post(port, '/slow', Buffer.alloc(10)), { status: 200, text: 'slow done' });
    const big = Buffer.alloc(8 * 1024 * 1024, 1);
    assert.deepEqual(await post(port, '/held', big), { status: 200, text: `read ${big.length}` });
  } finally {
    await stop(server);
  }
});

test('a request whose client stops sending its headers or body is closed after the idle timeout', async () => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  guardHttpServer(server, { idleTimeoutMs: IDLE_MS, maxConnectionsPerAddress: 0 });
  const port = await listen(server);
  try {
    const started = Date.now();
    const headers = await openStalled(port, 'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const body = await openStalled(port, 'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nhalf');
    await Promise.all([headers.closed, body.closed]);
    const ms = Date.now() - started;
    assert.ok(ms >= IDLE_MS - 50 && ms < IDLE_MS + 2000, `closed after ${ms} ms`);
  } finally {
    await stop(server);
  }
});

test('a kept-alive connection left idle after its reply is closed after the idle timeout, however long keepAliveTimeout was', async () => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  server.keepAliveTimeout = 72_000; // Fastify's default
  guardHttpServer(server, { idleTimeoutMs: IDLE_MS, maxConnectionsPerAddress: 0 });
  const port = await listen(server);
  try {
    const client = await openStalled(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const answered = Date.now();
    await client.closed;
    const ms = Date.now() - answered;
    assert.ok(ms < IDLE_MS + 2000, `closed after ${ms} ms`);
  } finally {
    await stop(server);
  }
});

test('the per-address cap refuses one address its extra connections while another address is served', async () => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  guardHttpServer(server, { idleTimeoutMs: 0, maxConnectionsPerAddress: 3 });
  const port = await listen(server);
  const held = [];
  try {
    for (let i = 0; i < 3; i++) held.push(await openStalled(port, 'POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n', '127.0.0.2'));
    const refused = await openStalled(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', '127.0.0.2');
    await refused.closed;
    assert.deepEqual(await post(port, '/x', Buffer.from('other address')), { status: 200, text: 'ok' });
    // A closed connection frees its place.
    held.pop()!.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const again = await openStalled(port, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', '127.0.0.2');
    const answer = await new Promise<string>((resolve) => again.socket.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    assert.match(answer, /^HTTP\/1\.1 200/);
    again.socket.destroy();
  } finally {
    for (const client of held) client.socket.destroy();
    await stop(server);
  }
});
