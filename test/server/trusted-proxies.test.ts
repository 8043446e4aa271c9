// A server behind a load balancer (--trusted-proxies 127.0.0.1): the XMPP
// and CCS listeners take the client's address from the balancer's PROXY
// protocol header, require it from the balancer and never take it from
// anyone else; the HTTP port takes it from X-Forwarded-For, and counts the
// requests a balancer forwards against their clients' addresses.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { capturingLogger } from '../helpers/log.ts';
import { startTestServer } from '../helpers/server.ts';
import { halfSentMultipart, openStalled } from '../helpers/stalled.ts';
import { waitFor } from '../helpers/wait.ts';
import { proxyV1, proxyV2 } from '../helpers/proxy-header.ts';
import { createRobot, type Robot } from '../xmpp/fixtures.ts';
import { RawClient, STREAM_OPEN, loginRaw, openStream, plainAuth } from '../xmpp/raw-client.ts';
import type { TestServer } from '../helpers/server.ts';
import { createUser, registerAndClaim } from '../helpers/cloud.ts';
import { attr, encodeMessage, GroupTag, ipp } from '../../src/ipp/codec.ts';

const A = { address: '203.0.113.7', port: 40001 };
const B = { address: '2001:db8::b', port: 40002 };

describe('behind a trusted proxy', () => {
  const { log, lines } = capturingLogger('debug');
  let server: TestServer;
  let robot: Robot;
  let url: string;
  before(async () => {
    server = await startTestServer(
      {
        trustedProxies: ['127.0.0.1'],
        proxyHeaderTimeoutSeconds: 1,
        httpMaxConnectionsPerAddress: 2,
        xmppAuthFailuresPerMinute: 1,
        xmppAuthFailureDelaySeconds: 30,
        xmppMaxAuthFailures: 10,
      },
      log,
    );
    url = server.url;
    robot = await createRobot(server);
  });
  after(() => server?.stop());

  const logged = (message: string) => lines.filter((line) => line.msg === message);

  test('an XMPP session through the proxy is logged from the address its header carries, v1 on STARTTLS and v2 on direct TLS', async () => {
    const starttls = await RawClient.tcp(server, server.ports.xmpp, { proxyHeader: proxyV1(A) });
    await openStream(starttls);
    starttls.send('<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>');
    await starttls.expect(/<proceed/);
    await starttls.startTls();
    await loginRaw(starttls, robot.local, robot.token, 'one');
    const direct = await RawClient.tls(server, server.ports.xmpps, { proxyHeader: proxyV2(B) });
    await loginRaw(direct, robot.local, robot.token, 'two');
    const started = logged('xmpp session started').map((line) => [line.listener, line.ip]);
    assert.deepEqual(started, [['xmpp', A.address], ['xmpps', B.address]]);
    starttls.close();
    direct.close();
    await Promise.all([starttls.closed, direct.closed]);
  });

  test('the per-address limit on failed logins holds back the carried address only', async () => {
    const fail = async (client: RawClient) => {
      await openStream(client);
      client.send(plainAuth(robot.local, 'wrong'));
    };
    const first = await RawClient.tls(server, server.ports.xmpps, { proxyHeader: proxyV2({ address: '198.51.100.1', port: 1 }) });
    await fail(first);
    await first.expect(/<failure/);
    // The second failure from 198.51.100.1 is past --xmpp-auth-failures-per-minute 1: its answer waits 30 s.
    const second = await RawClient.tls(server, server.ports.xmpps, { proxyHeader: proxyV2({ address: '198.51.100.1', port: 2 }) });
    await fail(second);
    const other = await RawClient.tls(server, server.ports.xmpps, { proxyHeader: proxyV2({ address: '198.51.100.2', port: 3 }) });
    await fail(other);
    await other.expect(/<failure/);
    assert.doesNotMatch(second.buffer, /<failure/, 'the held-back address is still waiting');
    for (const client of [first, second, other]) client.close();
    await Promise.all([first.closed, second.closed, other.closed]);
  });

  test('a connection from the proxy without a header is refused before TLS or XMPP, on every TCP listener', async () => {
    const plain = await RawClient.tcp(server, server.ports.xmpp);
    plain.send(STREAM_OPEN());
    await plain.closed;
    assert.equal(plain.buffer, '', 'not a byte of XMPP');
    for (const port of [server.ports.xmpps, server.ports.ccs]) {
      await assert.rejects(RawClient.tls(server, port), `TLS on port ${port} never starts`);
    }
    await waitFor('the refusals logged', () => logged('connection from a trusted proxy refused').length >= 3 || undefined);
    assert.deepEqual(new Set(logged('connection from a trusted proxy refused').map((line) => line.listener)), new Set(['xmpp', 'xmpps', 'ccs']));
  });

  test('the CCS listener takes a proxied connection: TLS and the stream start after the header', async () => {
    const ccs = await RawClient.tls(server, server.ports.ccs, { proxyHeader: proxyV2(A) });
    await openStream(ccs, STREAM_OPEN('gcm.googleapis.com'));
    ccs.close();
    await ccs.closed;
  });

  test('a PROXY header from anybody else is no XMPP: the stream ends and no session starts from the address it names', async () => {
    const spoofed = { address: '192.0.2.99', port: 1 };
    const client = await RawClient.tcp(server, server.ports.xmpp, { localAddress: '127.0.0.2', proxyHeader: proxyV1(spoofed) });
    client.send(STREAM_OPEN());
    await client.closed;
    assert.match(client.buffer, /not-well-formed|bad-format/);
    await assert.rejects(RawClient.tls(server, server.ports.xmpps, { localAddress: '127.0.0.2', proxyHeader: proxyV2(spoofed) }));
    assert.equal(lines.filter((line) => line.ip === spoofed.address).length, 0);
  });

  test('HTTP: X-Forwarded-For names the client, in the request log and in the per-address connection cap', async () => {
    // A registration whose body stops half-way: the request stays in progress.
    const forwarded = (client: string) => halfSentMultipart('/cloudprint/register').replace('\r\n', `\r\nX-Forwarded-For: ${client}\r\n`);
    const port = Number(new URL(url).port);
    // Two requests in progress from 203.0.113.7 (--http-max-connections-per-address 2), on two connections of the proxy.
    const held = [await openStalled(port, forwarded(A.address)), await openStalled(port, forwarded(A.address))];
    try {
      const third = await waitFor('both requests in progress', async () => {
        const response = await fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': A.address } });
        return response.status === 429 ? response : void (await response.arrayBuffer());
      });
      assert.match(await third.text(), /too many open connections from 203\.0\.113\.7/);
      const other = await fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': '198.51.100.9' } });
      assert.equal(other.status, 200);
      // A peer that is no proxy names nobody but itself.
      const untrusted = await openStalled(port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 192.0.2.1\r\nConnection: close\r\n\r\n`, '127.0.0.2');
      await untrusted.closed;
      await waitFor('the request lines', () => logged('http').length >= 3 || undefined);
      const ips = logged('http').map((line) => line.ip);
      assert.ok(ips.includes(A.address) && ips.includes('198.51.100.9') && ips.includes('127.0.0.2'), JSON.stringify(ips));
      assert.ok(!ips.includes('192.0.2.1'), JSON.stringify(ips));
    } finally {
      for (const client of held) client.socket.destroy();
      await Promise.all(held.map((client) => client.closed));
    }
  });

  test('/metrics for loopback callers: a client the proxy forwards is not one', async () => {
    assert.equal((await fetch(`${url}/metrics`)).status, 200);
    assert.equal((await fetch(`${url}/metrics`, { headers: { 'x-forwarded-for': A.address } })).status, 403);
  });

  test('IPP over plain HTTP: a password from a client the proxy forwards is refused (426), as from any other host', async () => {
    const owner = await createUser(server);
    const printer = await registerAndClaim(server, owner);
    const printerUrl = `${url}/ipp/print/${printer.printerId}`;
    const getJobs = encodeMessage({
      version: { major: 2, minor: 0 }, code: 0x000a, requestId: 1,
      groups: [{ tag: GroupTag.operation, attributes: [attr('attributes-charset', ipp.charset('utf-8')), attr('attributes-natural-language', ipp.language('en')), attr('printer-uri', ipp.uri(printerUrl.replace(/^http/, 'ipp')))] }],
    });
    const headers = { 'content-type': 'application/ipp', authorization: `Basic ${Buffer.from(`${owner.email}:${owner.password}`).toString('base64')}` };
    const call = async (extra: Record<string, string>) => {
      const response = await fetch(printerUrl, { method: 'POST', headers: { ...headers, ...extra }, body: new Uint8Array(getJobs) });
      await response.arrayBuffer();
      return response.status;
    };
    assert.equal(await call({ 'x-forwarded-for': A.address }), 426);
    assert.equal(await call({}), 200, 'a caller on this machine itself');
  });

  test('/admin/status still answers the operator on this machine', async () => {
    const token = readFileSync(join(server.dataDir, 'admin.token'), 'utf8').trim();
    assert.equal((await fetch(`${url}/admin/status`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  });
});
