// Hostile and broken input over real TLS connections: the server answers
// with the right stream error or SASL failure, never crashes, does not leak
// connections or memory, and a healthy session beside it is unaffected.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TestServer } from '../helpers/server.ts';
import { startXmppServer, type Robot } from './fixtures.ts';
import { RawClient, STREAM_OPEN, loginRaw, openStream, plainAuth } from './raw-client.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const streamError = (condition: string) => new RegExp(`<stream:error><${condition} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>`);

async function openConnections(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return [...text.matchAll(/^ocp_xmpp_connections\{listener="[^"]+"\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('bad input', () => {
  let server: TestServer;
  let robot: Robot;
  let healthy: RawClient;
  let pings = 0;
  const healthyStillWorks = async () => {
    const id = `h${pings++}`;
    healthy.send(`<iq type="get" id="${id}"><ping xmlns="urn:xmpp:ping"/></iq>`);
    await healthy.expect(new RegExp(`<iq type="result" id="${id}"`));
  };

  before(async () => {
    ({ server, robot } = await startXmppServer({ xmppAuthFailuresPerMinute: 1000 }));
    healthy = await RawClient.tls(server);
    await loginRaw(healthy, robot.local, robot.token, 'healthy');
  });
  after(async () => {
    healthy.close();
    await server.stop();
  });

  /** Sends `input` on a fresh stream (after the header when `header`), returns what the server answered when it closed. */
  async function abuse(input: string | Buffer, header = true): Promise<string> {
    const c = await RawClient.tls(server);
    if (header) await openStream(c);
    c.send(input);
    await Promise.race([c.closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
    assert.ok(c.isClosed, 'the server closed the connection');
    return c.buffer;
  }

  test('random bytes end the stream with a stream error', async () => {
    for (let i = 0; i < 30; i++) {
      const answer = await abuse(Buffer.concat([Buffer.from('<'), randomBytes(200 + i * 10)]));
      assert.match(answer, /<stream:error>.*<\/stream:stream>$/);
    }
    await healthyStillWorks();
  });

  test('random bytes before any stream header', async () => {
    for (let i = 0; i < 10; i++) assert.match(await abuse(randomBytes(300), false), /<stream:error>/);
    await healthyStillWorks();
  });

  test('truncated streams and stanzas, then a dropped connection, leave nothing behind', async () => {
    const baseline = await openConnections(server);
    const full = `${STREAM_OPEN()}${plainAuth(robot.local, robot.token)}`;
    for (let cut = 5; cut < full.length; cut += 23) {
      const c = await RawClient.tls(server);
      c.send(full.slice(0, cut));
      await new Promise((resolve) => setTimeout(resolve, 5));
      c.close();
    }
    await until(async () => (await openConnections(server)) === baseline);
    await healthyStillWorks();
  });

  test('deep nesting ends the stream with policy-violation', async () => {
    assert.match(await abuse('<message>' + '<a>'.repeat(10_000)), streamError('policy-violation'));
  });

  test('a billion-laughs document ends the stream with restricted-xml', async () => {
    const entities = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('');
    const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">${entities}]><lolz>&lol9;</lolz>`;
    assert.match(await abuse(laughs, false), streamError('restricted-xml'));
    await healthyStillWorks();
  });

  test('an oversized stanza ends the stream with policy-violation, also after authentication', async () => {
    assert.match(await abuse(`<message><body>${'x'.repeat(300 * 1024)}</body></message>`), streamError('policy-violation'));
    const c = await RawClient.tls(server);
    await loginRaw(c, robot.local, robot.token, 'big');
    c.send(`<message to="${robot.bare}/healthy"><body>${'y'.repeat(300 * 1024)}</body></message>`);
    await c.expect(streamError('policy-violation'));
    assert.doesNotMatch(healthy.buffer, /yyyy/);
    await healthyStillWorks();
  });

  test('stanza before authentication, bind before SASL, unknown mechanism', async () => {
    assert.match(await abuse('<message to="a@localhost"><body>x</body></message>'), streamError('not-authorized'));
    assert.match(await abuse('<iq type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>'), streamError('not-authorized'));
    const c = await RawClient.tls(server);
    await openStream(c);
    c.send('<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="X-UNKNOWN">AAAA</auth>');
    await c.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><invalid-mechanism\/><\/failure>/);
    c.close();
  });

  test('100 failed logins: every one answered with a failure, connections closed after 3, the server unharmed', async () => {
    let failures = 0;
    let closedWithPolicy = 0;
    for (let connection = 0; connection < 34; connection++) {
      const c = await RawClient.tls(server);
      await openStream(c);
      for (let attempt = 0; attempt < 3 && failures < 100; attempt++) {
        c.send(plainAuth(robot.local, `wrong-${failures}`));
        await c.expect(/<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><not-authorized\/><\/failure>/);
        failures++;
      }
      if (failures % 3 === 0) {
        await c.expect(streamError('policy-violation'));
        await c.closed;
        closedWithPolicy++;
      }
      c.close();
    }
    assert.equal(failures, 100);
    assert.equal(closedWithPolicy, 33);
    await healthyStillWorks();
  });

  test('no memory or connection growth across repeated abuse', async () => {
    const round = async () => {
      for (let i = 0; i < 20; i++) {
        await abuse(Buffer.concat([Buffer.from('<message>'), randomBytes(2000)]));
        await abuse(`<message><body>${'z'.repeat(64 * 1024)}`.repeat(1) + '<a>'.repeat(100));
      }
    };
    const baseline = await openConnections(server);
    await round(); // warm-up: code paths compiled, pools allocated
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 3; i++) await round();
    await until(async () => (await openConnections(server)) === baseline);
    await new Promise((resolve) => setTimeout(resolve, 100));
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    assert.ok(growth < 4 * 1024 * 1024, `heap grew by ${Math.round(growth / 1024)} KiB over 120 abusive connections`);
    await healthyStillWorks();
  });
});
