// Routing between sessions of this server (RFC 6120 §8, RFC 6121 §8.5).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/server.ts';
import { createRobot, startXmppServer, type Robot } from './fixtures.ts';
import { RawClient, loginRaw } from './raw-client.ts';

const STANZA_ERROR = (condition: string) => new RegExp(`<error type="[a-z]+"><${condition} xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>`);

describe('XMPP routing', () => {
  let server: TestServer;
  let alice: Robot;
  let bob: Robot;
  let a: RawClient;
  let b1: RawClient;
  let b2: RawClient;
  let aJid: string;
  let b1Jid: string;
  before(async () => {
    ({ server, robot: alice } = await startXmppServer());
    bob = await createRobot(server);
    a = await RawClient.tls(server);
    aJid = await loginRaw(a, alice.local, alice.token, 'a');
    b1 = await RawClient.tls(server);
    b1Jid = await loginRaw(b1, bob.local, bob.token, 'one');
    b2 = await RawClient.tls(server);
    await loginRaw(b2, bob.local, bob.token, 'two');
  });
  after(async () => {
    for (const c of [a, b1, b2]) c.close();
    await server.stop();
  });

  test('a message to a full JID reaches that session only, with the sender\'s full JID stamped as from', async () => {
    a.send(`<message to="${b1Jid}" from="someone@else/spoof" id="m1"><body>hello</body></message>`);
    const [message] = await b1.expect(/<message [^>]*id="m1"[^>]*>.*?<\/message>/);
    assert.match(message, new RegExp(`from="${aJid}"`));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.doesNotMatch(b2.buffer, /id="m1"/);
  });

  test('an IQ to a full JID is routed, and its result routed back', async () => {
    a.send(`<iq type="get" to="${b1Jid}" id="q1"><query xmlns="urn:example:x"/></iq>`);
    await b1.expect(/<iq [^>]*id="q1"/);
    b1.send(`<iq type="result" to="${aJid}" id="q1"/>`);
    const [result] = await a.expect(/<iq [^>]*id="q1"[^>]*\/>/);
    assert.match(result, new RegExp(`from="${b1Jid}"`));
  });

  test('a ping to another client\'s full JID is routed to that client (XEP-0199 §4.1)', async () => {
    a.send(`<iq type="get" to="${b1Jid}" id="c2c"><ping xmlns="urn:xmpp:ping"/></iq>`);
    await b1.expect(/id="c2c"[^>]*><ping xmlns="urn:xmpp:ping"\/>/);
  });

  test('bare JID: messages go to available resources only; with none available, service-unavailable', async () => {
    a.send(`<message to="${bob.bare}" id="m2" type="chat"><body>anyone?</body></message>`);
    await a.expect(/<message type="error" id="m2".*?service-unavailable/);
    b2.send('<presence><priority>1</priority></presence>');
    await new Promise((resolve) => setTimeout(resolve, 50));
    a.send(`<message to="${bob.bare}" id="m3" type="chat"><body>now?</body></message>`);
    await b2.expect(/id="m3"/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.doesNotMatch(b1.buffer, /id="m3"/);
    b2.send('<presence type="unavailable"/>');
  });

  test('a message to an unknown resource is treated as to the bare JID; an IQ gets service-unavailable', async () => {
    a.send(`<iq type="get" to="${bob.bare}/gone" id="q2"><query xmlns="urn:example:x"/></iq>`);
    await a.expect(STANZA_ERROR('service-unavailable'));
    b1.send('<presence/>');
    await new Promise((resolve) => setTimeout(resolve, 50));
    a.send(`<message to="${bob.bare}/gone" id="m4"><body>x</body></message>`);
    await b1.expect(/id="m4"/);
    b1.send('<presence type="unavailable"/>');
  });

  test('an IQ request to a bare JID is answered by the server on the account\'s behalf', async () => {
    a.send(`<iq type="get" to="${bob.bare}" id="q3"><query xmlns="urn:example:x"/></iq>`);
    const [reply] = await a.expect(/<iq type="error" id="q3"[^>]*>.*?<\/iq>/);
    assert.match(reply, new RegExp(`from="${bob.bare}"`));
    assert.match(reply, STANZA_ERROR('service-unavailable'));
  });

  test('other domains: remote-server-not-found (no server-to-server); malformed JIDs: jid-malformed', async () => {
    a.send('<message to="someone@example.org" id="m5"><body>x</body></message>');
    await a.expect(/id="m5".*?remote-server-not-found/);
    a.send('<message to="a@b@c" id="m6"><body>x</body></message>');
    await a.expect(/id="m6".*?jid-malformed/);
  });

  test('IQ requests must carry exactly one payload (RFC 6120 §8.2.3)', async () => {
    a.send('<iq type="get" id="q4"/>');
    await a.expect(/id="q4".*?bad-request/);
  });

  test('non-stanza elements after binding end the stream with unsupported-stanza-type', async () => {
    const c = await RawClient.tls(server);
    await loginRaw(c, alice.local, alice.token, 'bad');
    c.send('<foo xmlns="jabber:client"/>');
    await c.expect(/<unsupported-stanza-type xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/);
    await c.closed;
  });
});
