// Replays the exact bytes the original cloud print connector sent
// (GCP §c, from google/cloud-print-connector
// xmpp/internal-xmpp.go) over direct TLS, and checks each answer the way the
// connector checked it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startWithClaimedPrinter, type ClaimedSetup } from '../xmpp/fixtures.ts';
import { RawClient } from '../xmpp/raw-client.ts';
import { submitJob } from '../helpers/cloud.ts';

let setup: ClaimedSetup;
before(async () => {
  setup = await startWithClaimedPrinter();
});
after(() => setup.server.stop());

function attrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([\w:]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

test('the original connector handshake, subscription, ping and a push, byte for byte', async () => {
  const user = setup.printer.jidLocal;
  const domain = 'localhost';
  const proxyName = 'OpenCloudPrint-connector';
  const c = await RawClient.tls(setup.server);
  const streamOpen = `<stream:stream xmlns="jabber:client" to="${domain}" xml:lang="en" version="1.0" xmlns:stream="http://etherx.jabber.org/streams">`;

  c.send(streamOpen);
  const [header] = await c.expect(/<stream:stream [^>]*>/);
  // The Go decoder matches jabber:client iq and the stream namespace by URI.
  assert.match(header, /xmlns="jabber:client"/);
  assert.match(header, /xmlns:stream="http:\/\/etherx\.jabber\.org\/streams"/);
  // "The first features must contain a <mechanisms> element."
  const [features] = await c.expect(/<stream:features>.*?<\/stream:features>/);
  assert.match(features, /<mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl">/);

  const sasl = Buffer.from(`\0${user}\0${setup.printer.accessToken}`).toString('base64');
  c.send(
    `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="X-OAUTH2" auth:service="chromiumsync" auth:allow-generated-jid="true" auth:client-uses-full-bind-result="true" xmlns:auth="http://www.google.com/talk/protocol/auth">${sasl}</auth>`,
  );
  // "Anything other than <success> fails the handshake."
  const [next] = await c.expect(/<[^>]+>/);
  assert.match(next, /^<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>$/);

  c.send(streamOpen);
  await c.expect(/<stream:stream [^>]*>/);
  // "The second features must contain both bind and session."
  const [features2] = await c.expect(/<stream:features>.*?<\/stream:features>/);
  assert.match(features2, /<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"\/>/);
  assert.match(features2, /<session xmlns="urn:ietf:params:xml:ns:xmpp-session"\/>/);

  c.send(`<iq xmlns="jabber:client" type="set" id="0"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>${proxyName}</resource></bind></iq>`);
  // "The bind result must hold a non-empty <jid> containing '/'; the full JID is used as-is."
  const [, fullJid] = await c.expect(/<iq [^>]*id="0"[^>]*><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><jid>([^<]*)<\/jid><\/bind><\/iq>/);
  assert.ok(fullJid && fullJid.includes('/'), `bind jid ${fullJid}`);
  const bareJid = `${user}@${domain}`;
  assert.ok(fullJid.startsWith(`${bareJid}/`));

  c.send('<iq xmlns="jabber:client" type="set" id="1"><session xmlns="urn:ietf:params:xml:ns:xmpp-session"></session></iq>');
  // "Session: the result must have id="1"."
  const [sessionResult] = await c.expect(/<iq [^>]*\/>/);
  assert.equal(attrs(sessionResult).id, '1');

  c.send(`<iq xmlns="jabber:client" type="set" to="${bareJid}" id="3"><subscribe xmlns="google:push"><item channel="cloudprint.google.com" from="cloudprint.google.com"></item></subscribe></iq>`);
  // "The response iq is accepted only if to == fullJID and from == bareJID."
  const [subscribeResult] = await c.expect(/<iq [^>]*\/>/);
  assert.equal(attrs(subscribeResult).to, fullJid);
  assert.equal(attrs(subscribeResult).from, bareJid);

  // Start-up ping, straight after subscribing, must be answered within 5 s.
  c.send(`<iq from="${fullJid}" to="cloudprint.google.com" id="0" type="get"><ping xmlns="urn:xmpp:ping"></ping></iq>`);
  const [pong] = await c.expect(/<iq [^>]*\/>/, 5000);
  // "Any incoming <iq> whose id parses as an integer 0–255 counts as a pong."
  assert.ok(/^\d+$/.test(attrs(pong).id!) && Number(attrs(pong).id) <= 255);
  assert.equal(attrs(pong).from, 'cloudprint.google.com');

  // A push, read the way the connector reads it: message/push/data by local names, base64.
  assert.equal((await submitJob(setup.server, setup.owner.token, setup.printer.printerId)).body.success, true);
  const [, data] = await c.expect(/<message [^>]*>.*?<(?:\w+:)?push [^>]*>.*?<(?:\w+:)?data>([^<]*)<\/(?:\w+:)?data>/);
  assert.equal(Buffer.from(data!, 'base64').toString(), setup.printer.printerId);

  // Periodic pings keep working (the uint8 counter goes on).
  c.send(`<iq from="${fullJid}" to="cloudprint.google.com" id="1" type="get"><ping xmlns="urn:xmpp:ping"></ping></iq>`);
  assert.equal(attrs((await c.expect(/<iq [^>]*\/>/, 5000))[0]).id, '1');
  c.close();
});
