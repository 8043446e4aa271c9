// The PROXY protocol header (HAProxy's proxy-protocol.txt §2.1, §2.2): the
// parser on whole, partial and bad headers, and the read of it from a real
// socket (split across reads, too slow, missing, from an untrusted peer).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { clientAddress, parseProxyHeader, ProxyHeaderError, type ProxyProtocolOptions } from '../../src/net/proxy-protocol.ts';
import { trustedProxies } from '../../src/net/trusted-proxies.ts';
import { proxyV1, proxyV2, proxyV2Local } from '../helpers/proxy-header.ts';

const client = { address: '203.0.113.7', port: 40000 };

describe('parseProxyHeader', () => {
  test('version 1, TCP4 and TCP6: the source address and port, and the header length', () => {
    const header = proxyV1(client);
    assert.deepEqual(parseProxyHeader(Buffer.concat([header, Buffer.from('<?xml')])), { length: header.length, source: client });
    const v6 = proxyV1({ address: '2001:db8::7', port: 1 });
    assert.deepEqual(parseProxyHeader(v6), { length: v6.length, source: { address: '2001:db8::7', port: 1 } });
  });

  test('version 1 UNKNOWN: the connection\'s own address is used', () => {
    const unknown = Buffer.from('PROXY UNKNOWN ffff:f...f:ffff 1 2\r\n');
    assert.deepEqual(parseProxyHeader(Buffer.concat([unknown, Buffer.from('<')])), { length: unknown.length, source: undefined });
  });

  test('version 2, AF_INET and AF_INET6 (RFC 5952 text), TLVs skipped', () => {
    const tlvs = Buffer.from([0x04, 0x00, 0x03, 0x01, 0x02, 0x03]); // PP2_TYPE_NOOP with 3 bytes
    const v4 = proxyV2(client, tlvs);
    assert.deepEqual(parseProxyHeader(Buffer.concat([v4, Buffer.from([0x16, 0x03, 0x01])])), { length: 16 + 12 + tlvs.length, source: client });
    for (const [address, text] of [
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
      ['::ffff:c000:207', '::ffff:192.0.2.7'],
    ]) {
      const v6 = proxyV2({ address: address!, port: 5 });
      assert.deepEqual(parseProxyHeader(v6), { length: 16 + 36, source: { address: text, port: 5 } }, address);
    }
  });

  test('version 2 LOCAL (a health check): the connection\'s own address is used', () => {
    assert.deepEqual(parseProxyHeader(proxyV2Local()), { length: 16, source: undefined });
  });

  test('every proper prefix of a header asks for more bytes', () => {
    for (const header of [proxyV1(client), proxyV2(client), proxyV2({ address: '2001:db8::1', port: 2 })]) {
      for (let n = 0; n < header.length; n++) assert.equal(parseProxyHeader(header.subarray(0, n)), undefined, `${n} of ${header.length} bytes`);
    }
  });

  test('anything else is refused at its first byte that cannot belong to a header', () => {
    const refuse = (bytes: Buffer | string, reason: RegExp) => assert.throws(() => parseProxyHeader(Buffer.from(bytes)), (error: Error) => error instanceof ProxyHeaderError && reason.test(error.message));
    refuse('<', /no PROXY protocol header/);
    refuse(Buffer.from([0x16, 0x03, 0x01]), /no PROXY protocol header/); // a TLS ClientHello
    refuse('PROXZ', /no PROXY protocol header/);
    refuse(`PROXY TCP4 ${'1'.repeat(120)}`, /without CRLF in 107 bytes/);
    refuse('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n', /protocol "UDP4"/);
    refuse('PROXY TCP4 1.2.3.4 ::1 1 2\r\n', /malformed addresses/);
    refuse('PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n', /malformed addresses/);
    refuse('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n', /malformed ports/);
    refuse('PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n', /malformed ports/);
    const withVersion = (byte: number) => Buffer.concat([proxyV2(client).subarray(0, 12), Buffer.from([byte, 0x11, 0, 12]), Buffer.alloc(12)]);
    refuse(withVersion(0x11), /version 1/);
    refuse(withVersion(0x22), /command 2/);
    const short = proxyV2(client);
    short.writeUInt16BE(4, 14);
    refuse(short.subarray(0, 20), /shorter than its addresses/);
  });

  test('a version 2 header longer than the limit is refused once its length is read', () => {
    const long = proxyV2(client, Buffer.alloc(2000));
    assert.throws(() => parseProxyHeader(long.subarray(0, 16), 1024), /2028 bytes, more than 1024/);
  });
});

/** A listener that reports, for each connection, clientAddress()'s outcome and then what the next reader gets. */
async function listener(options: ProxyProtocolOptions): Promise<{ port: number; next(): Promise<{ address?: string; error?: string; after?: string }>; close(): Promise<void> }> {
  const outcomes: Array<Promise<{ address?: string; error?: string; after?: string }>> = [];
  const server = createServer((socket: Socket) => {
    socket.on('error', () => {});
    outcomes.push(
      clientAddress(socket, options).then(
        async (address) => {
          socket.setEncoding('latin1');
          const [after] = (await once(socket, 'data')) as [string];
          socket.end();
          return { address, after };
        },
        (error: Error) => ({ error: error.message }),
      ),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    next: async () => {
      await waitUntil(() => outcomes.length > 0);
      return outcomes.shift()!;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

async function dial(port: number, localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<unknown> }> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  socket.resume();
  const closed = once(socket, 'close');
  await once(socket, 'connect');
  return { socket, closed };
}

describe('clientAddress on a real socket', () => {
  const options: ProxyProtocolOptions = { trusted: trustedProxies(['127.0.0.1']), headerTimeoutMs: 300, maxHeaderBytes: 1024 };

  test('a trusted proxy\'s header, split across reads, names the client; the bytes after it go to the next reader', async () => {
    const server = await listener(options);
    try {
      const { socket, closed } = await dial(server.port);
      const header = proxyV2(client);
      socket.write(header.subarray(0, 5));
      // The rest after a turn of the event loop: a separate TCP segment, and so a separate read.
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.write(Buffer.concat([header.subarray(5), Buffer.from('<stream>')]));
      assert.deepEqual(await server.next(), { address: client.address, after: '<stream>' });
      await closed;
    } finally {
      await server.close();
    }
  });

  test('a trusted proxy that sends no header, or too slowly, is disconnected', async () => {
    const server = await listener(options);
    try {
      const plain = await dial(server.port);
      plain.socket.write('<?xml version="1.0"?>');
      assert.deepEqual(await server.next(), { error: 'no PROXY protocol header' });
      await plain.closed;
      const slow = await dial(server.port);
      slow.socket.write(proxyV1(client).subarray(0, 10));
      assert.deepEqual(await server.next(), { error: 'no complete PROXY header in 300 ms' });
      await slow.closed;
    } finally {
      await server.close();
    }
  });

  test('an untrusted peer is taken as it is: its PROXY header is left for the next reader, which refuses it', async () => {
    const server = await listener(options);
    try {
      const { socket, closed } = await dial(server.port, '127.0.0.2');
      socket.write(proxyV1(client));
      assert.deepEqual(await server.next(), { address: '127.0.0.2', after: proxyV1(client).toString('latin1') });
      await closed;
    } finally {
      await server.close();
    }
  });
});
