// Stream negotiation over real sockets (RFC 6120 §4–§7): headers, STARTTLS,
// SASL, binding, stream errors, timeouts, shutdown.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestServer } from '../helpers/server.ts';
import { createRobot, startXmppServer, type Robot } from './fixtures.ts';
import { RawClient, STREAM_OPEN, authenticateRaw, loginRaw, openStream, plainAuth } from './raw-client.ts';
import { accountsAuthenticator } from '../../src/auth/xmpp-authenticator.ts';

const SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const streamError = (condition: string) => new RegExp(`<stream:error><${condition} xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>.*</stream:stream>`);

describe('XMPP stream negotiation', () => {
  let server: TestServer;
  let robot: Robot;
  before(async () => {
    ({ server, robot } = await startXmppServer({ xmppMaxAuthFailures: 3, xmppAuthFailuresPerMinute: 1000 }));
  });
  after(() => server.stop());

  test('both client listeners are in DATA/ports.json as xmpp and xmpps', () => {
    const ports = JSON.parse(readFileSync(join(server.dataDir, 'ports.json'), 'utf8')) as Record<string, number>;
    assert.equal(ports.xmpp, server.ports.xmpp);
    assert.equal(ports.xmpps, server.ports.xmpps);
    assert.ok(ports.xmpp! > 0 && ports.xmpps! > 0 && ports.xmpp !== ports.xmpps);
  });

  test('a token login names its account (id and kind) for the session: modules need not look it up again', async () => {
    const { domain } = server.context.config;
    const account = await server.context.accounts.findByJidLocal(robot.local);
    const result = await accountsAuthenticator(server.context.accounts, domain).authenticate({
      mechanism: 'PLAIN',
      credentials: { authzid: '', authcid: robot.local, secret: robot.token },
      address: '127.0.0.1',
    });
    assert.deepEqual(result, { local: robot.local, account: { id: account!.id, kind: 'robot' }, credential: { grant: result!.credential!.grant, tokenHash: result!.credential!.tokenHash } });
    assert.match(result!.credential!.grant!, /./, 'an access token names its grant: the session ends with it');
  });

  test('direct TLS: header with from, unique id, version 1.0, jabber:client; SASL mechanisms offered', async () => {
    const client = await RawClient.tls(server);
    client.send(STREAM_OPEN());
    const [header] = await client.expect(/<stream:stream [^>]*>/);
    assert.match(header, /from="localhost"/);
    assert.match(header, /version="1\.0"/);
    assert.match(header, /xmlns="jabber:client"/);
    assert.match(header, /xmlns:stream="http:\/\/etherx\.jabber\.org\/streams"/);
    const [features] = await client.expect(/<stream:features>.*<\/stream:features>/);
    assert.match(features, /<mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>PLAIN<\/mechanism><mechanism>X-OAUTH2<\/mechanism><\/mechanisms>/);
    assert.doesNotMatch(features, /starttls/);
    client.send(plainAuth(robot.local, robot.token, 'X-OAUTH2'));
    await client.expect(/<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
    client.send(STREAM_OPEN());
    const [restarted] = await client.expect(/<stream:stream [^>]*>/);
    const ids = [header, restarted].map((h) => /id="([^"]+)"/.exec(h)![1]);
    assert.notEqual(ids[0], ids[1], 'a restarted stream gets a new id');
    const [bound] = await client.expect(/<stream:features>.*<\/stream:features>/);
    assert.match(bound, /<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"\/>/);
    assert.match(bound, /<session xmlns="urn:ietf:params:xml:ns:xmpp-session"\/>/);
    client.close();
  });

  test('STARTTLS port: only <starttls><required/> is offered, and auth before TLS ends the stream', async () => {
    const client = await RawClient.tcp(server);
    client.send(STREAM_OPEN());
    const [features] = await client.expect(/<stream:features>.*<\/stream:features>/);
    assert.equal(features, '<stream:features><starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"><required/></starttls></stream:features>');
    client.send(plainAuth(robot.local, robot.token));
    await client.expect(streamError('policy-violation'));
    await client.closed;
  });

  test('STARTTLS then SASL then bind works on the STARTTLS port', async () => {
    const client = await RawClient.tcp(server);
    await openStream(client);
    client.send('<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>');
    await client.expect(/<proceed xmlns="urn:ietf:params:xml:ns:xmpp-tls"\/>/);
    await client.startTls();
    assert.equal(await loginRaw(client, robot.local, robot.token, 'tls'), `${robot.bare}/tls`);
    client.close();
  });

  test('SASL: wrong token, another account\'s token and malformed responses fail; the third failure closes', async () => {
    const other = await createRobot(server);
    const client = await RawClient.tls(server);
    await openStream(client);
    client.send(plainAuth(robot.local, 'not-a-token'));
    await client.expect(new RegExp(`<failure xmlns="${SASL}"><not-authorized/></failure>`));
    client.send(plainAuth(robot.local, other.token));
    await client.expect(new RegExp(`<failure xmlns="${SASL}"><not-authorized/></failure>`));
    client.send(`<auth xmlns="${SASL}" mechanism="PLAIN">!!notbase64</auth>`);
    await client.expect(new RegExp(`<failure xmlns="${SASL}"><incorrect-encoding/></failure>`));
    await client.expect(streamError('policy-violation'));
    await client.closed;
  });

  test('SASL: an unknown mechanism gets invalid-mechanism; no initial response gets an empty challenge', async () => {
    const client = await RawClient.tls(server);
    await openStream(client);
    client.send(`<auth xmlns="${SASL}" mechanism="DIGEST-MD5"/>`);
    await client.expect(new RegExp(`<failure xmlns="${SASL}"><invalid-mechanism/></failure>`));
    client.send(`<auth xmlns="${SASL}" mechanism="PLAIN"/>`);
    await client.expect(new RegExp(`<challenge xmlns="${SASL}"/>`));
    client.send(`<response xmlns="${SASL}">${Buffer.from(`\0${robot.local}\0${robot.token}`).toString('base64')}</response>`);
    await client.expect(new RegExp(`<success xmlns="${SASL}"/>`));
    client.close();
  });

  test('SASL: the authorization identity, if given, must be the account itself', async () => {
    const other = await createRobot(server);
    const client = await RawClient.tls(server);
    await openStream(client);
    client.send(`<auth xmlns="${SASL}" mechanism="PLAIN">${Buffer.from(`${other.bare}\0${robot.local}\0${robot.token}`).toString('base64')}</auth>`);
    await client.expect(/<not-authorized\/>/);
    client.send(`<auth xmlns="${SASL}" mechanism="PLAIN">${Buffer.from(`${robot.bare}\0${robot.bare}\0${robot.token}`).toString('base64')}</auth>`);
    await client.expect(/<success/);
    client.close();
  });

  test('a stanza before authentication, and a bind before SASL, end the stream with not-authorized', async () => {
    for (const early of ['<message to="x@localhost"><body>hi</body></message>', '<iq type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>']) {
      const client = await RawClient.tls(server);
      await openStream(client);
      client.send(early);
      await client.expect(streamError('not-authorized'));
      await client.closed;
    }
  });

  test('a stanza after SASL but before binding ends the stream with not-authorized', async () => {
    const client = await RawClient.tls(server);
    await authenticateRaw(client, robot.local, robot.token);
    client.send('<iq type="get" id="p"><ping xmlns="urn:xmpp:ping"/></iq>');
    await client.expect(streamError('not-authorized'));
  });

  test('bind: a generated resource when the client names none', async () => {
    const client = await RawClient.tls(server);
    await authenticateRaw(client, robot.local, robot.token);
    client.send('<iq type="set" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></iq>');
    const [, jid] = await client.expect(/<iq type="result" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><jid>([^<]+)<\/jid><\/bind><\/iq>/);
    assert.match(jid!, new RegExp(`^${robot.bare}/[0-9a-f]{16}$`));
    client.close();
  });

  test('bind conflict: the new session wins, the old one gets a conflict stream error', async () => {
    const first = await RawClient.tls(server);
    await loginRaw(first, robot.local, robot.token, 'same');
    const second = await RawClient.tls(server);
    assert.equal(await loginRaw(second, robot.local, robot.token, 'same'), `${robot.bare}/same`);
    await first.expect(streamError('conflict'));
    await first.closed;
    second.send('<iq type="get" id="p1"><ping xmlns="urn:xmpp:ping"/></iq>');
    await second.expect(/<iq [^>]*id="p1"[^>]*type="result"|<iq type="result" id="p1"/);
    second.close();
  });

  test('legacy session IQ is answered with a result carrying the request id', async () => {
    const client = await RawClient.tls(server);
    await loginRaw(client, robot.local, robot.token, 'sess');
    client.send('<iq type="set" id="1"><session xmlns="urn:ietf:params:xml:ns:xmpp-session"/></iq>');
    await client.expect(/<iq type="result" id="1" to="[^"]+\/sess"\/>/);
    client.close();
  });

  test('stream header checks: host-unknown, any stream prefix, version and content namespace', async () => {
    const wrongHost = await RawClient.tls(server);
    wrongHost.send(STREAM_OPEN('example.org'));
    await wrongHost.expect(streamError('host-unknown'));

    const str = await RawClient.tls(server);
    str.send('<str:stream xmlns:str="http://etherx.jabber.org/streams" xmlns="jabber:client" to="localhost" version="1.0">');
    await str.expect(/<mechanism>PLAIN<\/mechanism>/);
    str.send(plainAuth(robot.local, robot.token));
    await str.expect(/<success/);
    str.close();

    const noVersion = await RawClient.tls(server);
    noVersion.send('<stream:stream xmlns="jabber:client" to="localhost" xmlns:stream="http://etherx.jabber.org/streams">');
    await noVersion.expect(streamError('unsupported-version'));

    const wrongNs = await RawClient.tls(server);
    wrongNs.send('<stream:stream xmlns="jabber:server" to="localhost" version="1.0" xmlns:stream="http://etherx.jabber.org/streams">');
    await wrongNs.expect(streamError('invalid-namespace'));

    const notStream = await RawClient.tls(server);
    notStream.send('<stream xmlns="jabber:client" version="1.0">');
    await notStream.expect(streamError('invalid-namespace'));
  });

  test('whitespace keepalives are accepted; </stream:stream> is answered in kind and the connection closed', async () => {
    const client = await RawClient.tls(server);
    await loginRaw(client, robot.local, robot.token, 'ws');
    client.send(' ');
    client.send('\n \t');
    client.send('<iq type="get" id="after-ws"><ping xmlns="urn:xmpp:ping"/></iq>');
    await client.expect(/id="after-ws"/);
    client.send('</stream:stream>');
    await client.expect(/<\/stream:stream>$/);
    await client.closed;
  });

  test('pings to the server and to a service address are answered from that address; unknown IQs get service-unavailable', async () => {
    const client = await RawClient.tls(server);
    const jid = await loginRaw(client, robot.local, robot.token, 'ping');
    client.send('<iq type="get" id="0" to="cloudprint.google.com"><ping xmlns="urn:xmpp:ping"/></iq>');
    await client.expect(new RegExp(`<iq type="result" id="0" to="${jid}" from="cloudprint.google.com"/>`));
    client.send('<iq type="get" id="s"><ping xmlns="urn:xmpp:ping"/></iq>');
    await client.expect(new RegExp(`<iq type="result" id="s" to="${jid}"/>`));
    client.send('<iq type="get" id="u"><query xmlns="urn:example:unknown"/></iq>');
    await client.expect(/<iq type="error" id="u"[^>]*><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/><\/error><\/iq>/);
    client.send('<iq type="get" id="r"><query xmlns="jabber:iq:roster"/></iq>');
    await client.expect(/<iq type="result" id="r"[^>]*><query xmlns="jabber:iq:roster"\/><\/iq>/);
    client.close();
  });

  test('a UTF-8 character split across TCP reads arrives intact', async () => {
    const sender = await RawClient.tls(server);
    await loginRaw(sender, robot.local, robot.token, 'utf-a');
    const receiver = await RawClient.tls(server);
    const to = await loginRaw(receiver, robot.local, robot.token, 'utf-b');
    const bytes = Buffer.from(`<message to="${to}" id="u8"><body>größe 日本 😀</body></message>`);
    for (const byte of bytes) {
      sender.send(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await receiver.expect(/<body>größe 日本 😀<\/body>/);
    sender.close();
    receiver.close();
  });

  test('invalid UTF-8 after bind ends the stream with unsupported-encoding (RFC 6120 §11.6) and is not delivered', async () => {
    const receiver = await RawClient.tls(server);
    const to = await loginRaw(receiver, robot.local, robot.token, 'utf-bad-to');
    // A lone byte, an overlong "/", a UTF-16 surrogate, and a lead byte whose continuation comes in the next read.
    const invalid: Array<[Buffer, Buffer?]> = [[Buffer.from([0xff])], [Buffer.from([0xc0, 0xaf])], [Buffer.from([0xed, 0xa0, 0x80])], [Buffer.from([0xe2]), Buffer.from('(')]];
    for (const [index, [bytes, next]] of invalid.entries()) {
      const sender = await RawClient.tls(server);
      await loginRaw(sender, robot.local, robot.token, `utf-bad-${index}`);
      sender.send(Buffer.concat([Buffer.from(`<message to="${to}" id="bad${index}"><body>a`), bytes]));
      if (next) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        sender.send(Buffer.concat([next, Buffer.from('b</body></message>')]));
      } else sender.send('b</body></message>');
      await sender.expect(streamError('unsupported-encoding'));
      await sender.closed;
    }
    receiver.send('<iq type="get" id="after"><ping xmlns="urn:xmpp:ping"/></iq>');
    // Stanzas of one session arrive in order: had a message been delivered, it would come before this result.
    const [first] = await receiver.expect(/<message[^]*?<\/message>|<iq [^>]*id="after"[^>]*\/>/);
    assert.match(first, /^<iq /, 'nothing reached the receiver');
    receiver.close();
  });

  test('server shutdown ends every stream with system-shutdown', async () => {
    const { server: other, robot: r } = await startXmppServer();
    const client = await RawClient.tls(other);
    await loginRaw(client, r.local, r.token);
    await other.stop();
    await client.expect(streamError('system-shutdown'));
  });
});

describe('XMPP limits and timeouts', () => {
  test('-1 turns a client listener off', async () => {
    const { server } = await startXmppServer({ xmppPort: -1 });
    try {
      assert.equal(server.ports.xmpp, undefined);
      assert.ok(server.ports.xmpps! > 0);
    } finally {
      await server.stop();
    }
  });

  test('failed logins per address: past the limit a wrong login is answered late, a right one at once', async () => {
    const { server, robot } = await startXmppServer({ xmppMaxAuthFailures: 10, xmppAuthFailuresPerMinute: 4, xmppAuthFailureDelaySeconds: 1.5 });
    try {
      const guesser = await RawClient.tls(server);
      await openStream(guesser);
      for (let i = 0; i < 4; i++) {
        guesser.send(plainAuth(robot.local, 'wrong'));
        await guesser.expect(/<not-authorized\/>/);
      }
      const guessedAt = Date.now();
      guesser.send(plainAuth(robot.local, 'wrong again'));
      // A device behind the same NAT logs in meanwhile, with the right token.
      const neighbour = await RawClient.tls(server);
      await openStream(neighbour);
      const loginAt = Date.now();
      neighbour.send(plainAuth(robot.local, robot.token));
      await neighbour.expect(/<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
      assert.ok(Date.now() - loginAt < 1000, 'a right login is neither refused nor delayed');
      await guesser.expect(/<not-authorized\/>/);
      assert.ok(Date.now() - guessedAt >= 1400, 'a wrong login past the limit waits for its answer');
      guesser.close();
      neighbour.close();
    } finally {
      await server.stop();
    }
  });

  test('connections per account: binding beyond the limit gets resource-constraint', async () => {
    const { server, robot } = await startXmppServer({ maxConnectionsPerAccount: 2 });
    try {
      const clients = [await RawClient.tls(server), await RawClient.tls(server)];
      await loginRaw(clients[0]!, robot.local, robot.token, 'a');
      await loginRaw(clients[1]!, robot.local, robot.token, 'b');
      const third = await RawClient.tls(server);
      await assert.rejects(loginRaw(third, robot.local, robot.token, 'c'));
      assert.match(third.buffer, /<iq type="error" id="bind"><error type="wait"><resource-constraint xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/);
    } finally {
      await server.stop();
    }
  });

  test('a silent client is timed out during negotiation', async () => {
    const { server } = await startXmppServer({ xmppHandshakeTimeoutSeconds: 0.3 });
    try {
      const client = await RawClient.tls(server);
      await openStream(client);
      await client.expect(streamError('connection-timeout'), 3000);
    } finally {
      await server.stop();
    }
  });

  test('an idle client is pinged with a non-numeric id; answering keeps it, silence closes it', async () => {
    const { server, robot } = await startXmppServer({ xmppIdleTimeoutSeconds: 0.3, xmppPingTimeoutSeconds: 0.4 });
    try {
      const client = await RawClient.tls(server);
      const jid = await loginRaw(client, robot.local, robot.token);
      const [, to, id] = await client.expect(/<iq type="get" from="localhost" to="([^"]+)" id="([^"]+)"><ping xmlns="urn:xmpp:ping"\/><\/iq>/, 3000);
      assert.equal(to, jid);
      assert.doesNotMatch(id!, /^\d+$/, 'the original connector would take a numeric id for its own pong');
      client.send(`<iq type="result" id="${id}" to="localhost"/>`);
      await client.expect(/<ping xmlns="urn:xmpp:ping"\/>/, 3000); // pinged again after the next idle period, still connected
      await client.expect(streamError('connection-timeout'), 3000);
      await client.closed;
    } finally {
      await server.stop();
    }
  });
});

describe('XMPP idle sessions', () => {
  test('a session quiet long enough to lose its parser resumes with the stream header\'s namespace declarations', async () => {
    const { server, robot } = await startXmppServer();
    try {
      const client = await RawClient.tls(server);
      await authenticateRaw(client, robot.local, robot.token, '<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" xmlns:g="google:push" to="localhost" version="1.0">');
      client.send('<iq type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>quiet</resource></bind></iq>');
      await client.expect(/<\/jid>/);
      await new Promise((resolve) => setTimeout(resolve, 3500)); // parsers are released after 2 s of quiet
      client.send(`<iq type="set" id="q" to="${robot.bare}"><g:subscribe><g:item channel="c.example"/></g:subscribe></iq>`);
      await client.expect(new RegExp(`<iq type="result" id="q" to="${robot.bare}/quiet" from="${robot.bare}"/>`));
      client.close();
    } finally {
      await server.stop();
    }
  });
});
