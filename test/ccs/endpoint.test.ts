// The app-server endpoint over real TLS: handshake (§1.1), downstream ACK
// and NACK vocabulary (§4.1–4.2), the stanza error (§4.3), receipts (§4.4),
// upstream and its ACK rules (§4.6, §5), deduplication of resends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { CcsDevice } from '../../src/ccs/sdk/device.ts';
import { newDevice, rawApp, settle, startCcsServer, type RawApp, type TestDevice } from './helpers.ts';

type Server = Awaited<ReturnType<typeof startCcsServer>>;

/** Accumulates what a raw TLS socket receives; `until` waits for a pattern in what came since the last call. */
function reader(socket: ReturnType<typeof connect>) {
  let text = '';
  socket.on('data', (chunk) => (text += String(chunk)));
  return async (pattern: RegExp, timeoutMs = 5000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(text)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${text}`);
      await settle(20);
    }
    const seen = text;
    text = '';
    return seen;
  };
}

describe('CCS endpoint', () => {
  let server: Server;
  let app: RawApp;
  let device: TestDevice;
  before(async () => {
    server = await startCcsServer({ ccsDeviceRate: 20 });
    app = await rawApp(server);
    device = await newDevice(server);
  });
  after(async () => {
    app.client.close();
    device.device.close();
    await server.stop();
  });

  test('direct TLS; the original mechanisms, no STARTTLS; a wrong key fails; bind and session after auth', async () => {
    const socket = connect({ host: '127.0.0.1', port: server.ports.ccs!, ca: server.ca });
    socket.write(`<stream:stream to='FCM XMPP Client Connection Server' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    const readUntil = reader(socket);
    const features = await readUntil( /<\/stream:features>/);
    assert.match(features, /<mechanisms xmlns="urn:ietf:params:xml:ns:xmpp-sasl"><mechanism>X-OAUTH2<\/mechanism><mechanism>X-GOOGLE-TOKEN<\/mechanism><mechanism>PLAIN<\/mechanism><\/mechanisms>/);
    assert.doesNotMatch(features, /starttls|urn:xmpp:sm/);
    socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${server.senderId}\0wrong`).toString('base64')}</auth>`);
    assert.match(await readUntil(/<\/failure>/), /<not-authorized\/>/);
    socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`${server.senderId}@gcm.googleapis.com\0${server.senderId}\0${server.apiKey}`).toString('base64')}</auth>`);
    assert.match(await readUntil(/<success/), /<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
    socket.write(`<stream:stream to='gcm.googleapis.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    const bound = await readUntil(/<\/stream:features>/);
    assert.match(bound, /<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"\/><session xmlns="urn:ietf:params:xml:ns:xmpp-session"\/>/);
    socket.write(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
    assert.match(await readUntil(/<\/iq>/), new RegExp(`<jid>${server.senderId}@localhost/`));
    // go-xmpp's presence and slixmpp's roster fetch are tolerated; the presence gets no answer.
    socket.write(`<presence xml:lang='en'><show></show><status></status></presence><iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq><iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const replies = await readUntil(/id="p1"/);
    assert.match(replies, /^<iq type="result" id="r1"[^>]*><query xmlns="jabber:iq:roster"\/><\/iq><iq type="result" id="p1"/);
    socket.destroy();
  });

  test('a downstream message is ACKed with from = to, echoing the stanza id, and reaches the device', async () => {
    const to = device.registration.registration_id;
    app.send({ to, message_id: 'm-1', data: { hello: 'world' }, time_to_live: 600, delay_while_idle: false }, 'stanza-7');
    const stanza = await app.nextStanza();
    assert.equal(stanza.attrs.id, 'stanza-7');
    assert.equal(stanza.attrs.type, undefined);
    assert.equal(stanza.getChildElements()[0]!.toString(), `<gcm xmlns="google:mobile:data">{"from":"${to}","message_id":"m-1","message_type":"ack"}</gcm>`);
    const [message] = await device.next();
    assert.deepEqual(message!.data, { hello: 'world' });
    assert.equal(message!.from, server.senderId);
    assert.equal(message!.category, 'com.example.app');
  });

  test('the prefixed <data:gcm> form is accepted', async () => {
    app.client.send(`<message><data:gcm xmlns:data="google:mobile:data">{"to":"${device.registration.registration_id}","message_id":"m-prefixed"}</data:gcm></message>`);
    assert.equal((await app.next()).message_type, 'ack');
    await device.next();
  });

  test('missing message_id and unparsable JSON get the stanza error of §4.3, echoing the payload', async () => {
    app.send('{"random": "text"}', '3');
    let stanza = await app.nextStanza();
    assert.equal(stanza.attrs.type, 'error');
    assert.equal(stanza.attrs.id, '3');
    assert.equal(stanza.attrs.to, app.client.jid);
    assert.equal(stanza.getChild('gcm', 'google:mobile:data')?.getText(), '{"random": "text"}');
    const error = stanza.getChild('error')!;
    assert.equal(error.attrs.code, '400');
    assert.equal(error.attrs.type, 'modify');
    assert.ok(error.getChild('bad-request', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.equal(error.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas'), 'InvalidJson: JSON_PARSING_ERROR : Missing Required Field: message_id\n');
    app.send('{"to": "x", "message_id": ');
    stanza = await app.nextStanza();
    assert.equal(stanza.attrs.type, 'error');
    assert.match(stanza.getChild('error')!.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '', /^InvalidJson: JSON_PARSING_ERROR/);
    // The stream survives both.
    app.send({ to: device.registration.registration_id, message_id: 'm-after-error' });
    assert.equal((await app.next()).message_type, 'ack');
    await device.next();
  });

  test('INVALID_JSON NACKs carry the original description texts', async () => {
    const to = device.registration.registration_id;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ time_to_live: 'abc' }, 'InvalidJson: JSON_TYPE_ERROR : Field "time_to_live" must be a JSON java.lang.Number: abc'],
      [{ time_to_live: -1 }, 'InvalidJson: INVALID_TTL : Invalid value (-1) for "time_to_live": must be between 0 and "2419200"'],
      [{ delay_while_idle: 'not-boolean-user-supplied-value' }, 'InvalidJson: JSON_TYPE_ERROR : Field "delay_while_idle" must be a JSON java.lang.Boolean: not-boolean-user-supplied-value'],
      [{ data: { google_x: '1' } }, 'InvalidJson: INVALID_DATA_KEY : Invalid data key: google_x'],
      [{ data: { a: 'x'.repeat(4096) } }, 'InvalidJson: MESSAGE_TOO_BIG : Message too big: 4097 bytes of data, the limit is 4096'],
      [{ registration_ids: [to] }, 'InvalidJson: INVALID_PARAMETERS : registration_ids is not supported over XMPP, use "to"'],
    ];
    for (const [fields, description] of cases) {
      app.send({ to, message_id: 'bad', ...fields });
      assert.deepEqual(await app.next(), { message_type: 'nack', message_id: 'bad', from: to, error: 'INVALID_JSON', error_description: description });
    }
    app.send({ message_id: 'no-to' });
    assert.equal((await app.next()).error_description, 'InvalidJson: JSON_PARSING_ERROR : Missing Required Field: to');
    await app.quiet(100);
    assert.equal(device.received.length, 3);
  });

  test('BAD_REGISTRATION for an unknown token, DEVICE_UNREGISTERED after unregistering', async () => {
    app.send({ to: 'SomeInvalidRegistrationId', message_id: 'msgId1' });
    assert.deepEqual(await app.next(), { message_type: 'nack', message_id: 'msgId1', from: 'SomeInvalidRegistrationId', error: 'BAD_REGISTRATION', error_description: "Invalid token on 'to' field: SomeInvalidRegistrationId" });
    const gone = await newDevice(server, { connect: false, app: 'com.example.gone' });
    await CcsDevice.unregister(server.url, gone.registration.password!, { sender: server.senderId, app: 'com.example.gone' });
    app.send({ to: gone.registration.registration_id, message_id: 'msgId2' });
    const nack = await app.next();
    assert.equal(nack.error, 'DEVICE_UNREGISTERED');
  });

  test('DEVICE_MESSAGE_RATE_EXCEEDED once a registration had its share (ccs-device-rate 20/min here)', async () => {
    const target = await newDevice(server, { connect: false, app: 'com.example.rate' });
    const to = target.registration.registration_id;
    for (let i = 0; i < 21; i++) app.send({ to, message_id: `rate-${i}` });
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await app.next());
    assert.deepEqual(answers.map((a) => a.message_type), [...Array(20).fill('ack'), 'nack']);
    assert.equal(answers[20]!.error, 'DEVICE_MESSAGE_RATE_EXCEEDED');
    assert.equal(answers[20]!.error_description, 'Downstream message rate exceeded for this registration id');
  });

  test('TOPICS_MESSAGE_RATE_EXCEEDED once a topic had its share', async () => {
    for (let i = 0; i < 21; i++) app.send({ to: '/topics/busy', message_id: `topic-rate-${i}` });
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await app.next());
    assert.deepEqual(answers.map((a) => a.error ?? a.message_type), [...Array(20).fill('ack'), 'TOPICS_MESSAGE_RATE_EXCEEDED']);
  });

  test('a resent message_id is ACKed again but delivered once', async () => {
    const to = device.registration.registration_id;
    const before = device.received.length;
    app.send({ to, message_id: 'resent', data: { n: '1' } });
    assert.equal((await app.next()).message_type, 'ack');
    app.send({ to, message_id: 'resent', data: { n: '1' } });
    assert.equal((await app.next()).message_type, 'ack');
    await device.next();
    await settle(200);
    assert.equal(device.received.length, before + 1);
  });

  test('receipts: dr2: id from the server domain after the device ACKed; ACKs with or without the prefix', async () => {
    const to = device.registration.registration_id;
    app.send({ to, message_id: 'with-receipt', delivery_receipt_requested: true });
    assert.equal((await app.next()).message_type, 'ack');
    const receiptStanza = await app.nextStanza();
    assert.equal(receiptStanza.attrs.type, 'normal');
    const receipt = JSON.parse(receiptStanza.getChild('gcm')!.getText()) as Record<string, any>;
    assert.equal(receipt.message_type, 'receipt');
    assert.equal(receipt.message_id, 'dr2:with-receipt');
    assert.equal(receipt.from, 'localhost');
    assert.equal(receipt.category, 'com.example.app');
    assert.deepEqual({ ...receipt.data, message_sent_timestamp: undefined }, { message_status: 'MESSAGE_SENT_TO_DEVICE', original_message_id: 'with-receipt', device_registration_id: to, message_sent_timestamp: undefined });
    // go-gcm ACKs receipts with the prefix stripped.
    app.send({ message_type: 'ack', message_id: 'with-receipt', to: 'localhost' });
    await app.quiet();
    await device.next();
    // Unacknowledged, a receipt comes back on the next connection; ACKed, it does not.
    app.send({ to, message_id: 'with-receipt-2', delivery_receipt_requested: true });
    assert.equal((await app.next()).message_type, 'ack');
    assert.equal((await app.next()).message_id, 'dr2:with-receipt-2');
    await device.next();
    app.client.close();
    app = await rawApp(server);
    const again = await app.next();
    assert.equal(again.message_id, 'dr2:with-receipt-2');
    app.send({ message_type: 'ack', message_id: 'dr2:with-receipt-2' });
    app.client.close();
    app = await rawApp(server, server.senderId);
    await app.quiet();
  });

  test('BAD_ACK for an ACK without message_id', async () => {
    app.send({ message_type: 'ack', to: 'someone' });
    const nack = await app.next();
    assert.equal(nack.message_type, 'nack');
    assert.equal(nack.error, 'BAD_ACK');
  });

  test('upstream: the app gets category, data, message_id, from; an ACK on another connection does not count', async () => {
    await device.device.send({ to: `${server.senderId}@gcm.googleapis.com`, message_id: 'up-1', data: { hello: 'up' } });
    const upstreamStanza = await app.nextStanza();
    assert.equal(upstreamStanza.attrs.type, 'normal');
    const upstream = JSON.parse(upstreamStanza.getChild('gcm')!.getText()) as Record<string, unknown>;
    assert.deepEqual(upstream, { category: 'com.example.app', data: { hello: 'up' }, message_id: 'up-1', from: device.registration.registration_id });
    const other = await rawApp(server);
    other.send({ to: device.registration.registration_id, message_id: 'up-1', message_type: 'ack' });
    await other.quiet();
    // The first connection goes away without ACKing: the message moves to the other connection.
    app.client.destroy();
    assert.equal((await other.next()).message_id, 'up-1');
    other.send({ to: device.registration.registration_id, message_id: 'up-1', message_type: 'ack' });
    other.client.close();
    app = await rawApp(server);
    await app.quiet();
  });

  test('a message without <gcm> (an auto-reply with a body) is ignored and the stream lives on', async () => {
    app.client.send('<message><body>auto reply</body></message>');
    app.send({ to: device.registration.registration_id, message_id: 'after-body' });
    assert.equal((await app.next()).message_id, 'after-body');
    await device.next();
  });
});
