// The google:push notification channel (GCP §c, Privet §4.1.3–4.1.5).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/log.ts';
import type { PrinterNotification, PushDirectory } from '../../../src/events/bus.ts';
import { createC2sServer } from '../../../src/server/c2s.ts';
import type { XmppServer } from '../../../src/xmpp/server.ts';
import type { TestServer } from '../../helpers/server.ts';
import { createRobot, startXmppServer, type Robot } from '../../xmpp/fixtures.ts';
import { RawClient, loginRaw } from '../../xmpp/raw-client.ts';
import { createUser } from '../../helpers/cloud.ts';

const subscribe = (bare: string, channel = 'cloudprint.google.com', id = '3') =>
  `<iq type="set" to="${bare}" id="${id}"><subscribe xmlns="google:push"><item channel="${channel}" from="${channel}"/></subscribe></iq>`;

const pushRe = /<message from="([^"]+)" to="([^"]+)"><push xmlns="google:push" channel="([^"]+)"><recipient to="([^"]+)"\/><data>([^<]*)<\/data><\/push><\/message>/;

function decodePush(match: RegExpExecArray) {
  const [, from, to, channel, recipient, data] = match;
  return { from, to, channel, recipient, payload: Buffer.from(data!, 'base64').toString() };
}

describe('google:push channel', () => {
  let server: TestServer;
  let robot: Robot;
  before(async () => {
    ({ server, robot } = await startXmppServer());
  });
  after(() => server.stop());

  const publish = (kind: PrinterNotification['kind'], printerId: string, recipients: string[]) =>
    server.context.bus.publish({ type: 'printer', kind, printerId, recipients });

  test('subscribe result: to = full JID, from = bare JID (what the connector checks)', async () => {
    const client = await RawClient.tls(server);
    const jid = await loginRaw(client, robot.local, robot.token, 'sub');
    client.send(subscribe(robot.bare));
    const [result] = await client.expect(/<iq [^>]*id="3"[^>]*\/>/);
    assert.match(result, new RegExp(`to="${jid}"`));
    assert.match(result, new RegExp(`from="${robot.bare}"`));
    assert.match(result, /type="result"/);
    client.close();
  });

  test('the three payloads, base64 in <data>, from the channel, to every subscribed session of the account', async () => {
    const one = await RawClient.tls(server);
    const oneJid = await loginRaw(one, robot.local, robot.token, 'one');
    const two = await RawClient.tls(server);
    const twoJid = await loginRaw(two, robot.local, robot.token, 'two');
    const unsubscribed = await RawClient.tls(server);
    await loginRaw(unsubscribed, robot.local, robot.token, 'quiet');
    for (const c of [one, two]) {
      c.send(subscribe(robot.bare));
      await c.expect(/id="3"/);
    }
    const other = await createRobot(server);
    await publish('jobs', 'printer-1', [robot.local, other.local]);
    await publish('update_settings', 'printer-1', [robot.local]);
    await publish('delete', 'printer-1', [robot.local]);
    for (const [client, jid] of [[one, oneJid], [two, twoJid]] as const) {
      const payloads = [];
      for (let i = 0; i < 3; i++) {
        const push = decodePush(await client.expect(pushRe));
        assert.deepEqual({ from: push.from, to: push.to, channel: push.channel, recipient: push.recipient }, { from: 'cloudprint.google.com', to: jid, channel: 'cloudprint.google.com', recipient: robot.bare });
        payloads.push(push.payload);
      }
      assert.deepEqual(payloads, ['printer-1', 'printer-1/update_settings', 'printer-1/delete']);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.doesNotMatch(unsubscribed.buffer, /google:push/, 'a session that did not subscribe gets nothing');
    for (const c of [one, two, unsubscribed]) c.close();
  });

  test('whatever channel name the client subscribes with is honoured', async () => {
    const client = await RawClient.tls(server);
    await loginRaw(client, robot.local, robot.token, 'chan');
    client.send(subscribe(robot.bare, 'my.channel.example'));
    await client.expect(/id="3"/);
    await publish('jobs', 'p2', [robot.local]);
    const push = decodePush(await client.expect(pushRe));
    assert.equal(push.from, 'my.channel.example');
    assert.equal(push.channel, 'my.channel.example');
    client.close();
  });

  test('a closed session\'s subscription is dropped; the account\'s other sessions still get pushes', async () => {
    const gone = await RawClient.tls(server);
    await loginRaw(gone, robot.local, robot.token, 'gone');
    gone.send(subscribe(robot.bare));
    await gone.expect(/id="3"/);
    const stays = await RawClient.tls(server);
    await loginRaw(stays, robot.local, robot.token, 'stays');
    stays.send(subscribe(robot.bare));
    await stays.expect(/id="3"/);
    gone.close();
    await gone.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = (await metrics(server)).sent;
    await publish('jobs', 'p3', [robot.local]);
    assert.equal(decodePush(await stays.expect(pushRe)).payload, 'p3');
    assert.equal((await metrics(server)).sent - before, 1, 'exactly one notification sent: none to the closed session');
    stays.close();
  });

  test('a session replaced by a conflicting bind loses its subscription', async () => {
    const old = await RawClient.tls(server);
    await loginRaw(old, robot.local, robot.token, 'dup');
    old.send(subscribe(robot.bare));
    await old.expect(/id="3"/);
    const replacement = await RawClient.tls(server);
    await loginRaw(replacement, robot.local, robot.token, 'dup');
    await old.closed;
    replacement.send(subscribe(robot.bare));
    await replacement.expect(/id="3"/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = (await metrics(server)).sent;
    await publish('jobs', 'p4', [robot.local]);
    assert.equal(decodePush(await replacement.expect(pushRe)).payload, 'p4');
    assert.equal((await metrics(server)).sent - before, 1, 'nothing sent for the replaced session');
    replacement.close();
  });

  test('an account cannot send a robot a push-shaped message: refused with forbidden, never delivered', async () => {
    const device = await RawClient.tls(server);
    const deviceJid = await loginRaw(device, robot.local, robot.token, 'target');
    device.send(subscribe(robot.bare));
    await device.expect(/id="3"/);
    const user = await createUser(server);
    const mallory = await RawClient.tls(server);
    await loginRaw(mallory, user.id, user.token, 'mallory');
    const data = Buffer.from('printer-1').toString('base64');
    const forged = [
      `<message to="${deviceJid}" id="f1"><push xmlns="google:push" channel="cloudprint.google.com"><recipient to="${robot.bare}"/><data>${data}</data></push></message>`,
      `<message to="${robot.bare}" id="f2" type="chat"><body>hi</body><push xmlns="google:push" channel="cloudprint.google.com"><data>${data}</data></push></message>`,
      `<message to="${deviceJid}" id="f3"><push channel="cloudprint.google.com"><data>${data}</data></push></message>`,
    ];
    for (const [index, message] of forged.entries()) {
      mallory.send(message);
      const [reply] = await mallory.expect(new RegExp(`<message [^>]*id="f${index + 1}"[^]*?</message>`));
      assert.match(reply, /type="error"/);
      assert.match(reply, /<error type="auth"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"\/>/);
    }
    // Routing is synchronous: anything delivered to the device was written before the sender's error reply.
    device.send('<iq type="get" id="after"><ping xmlns="urn:xmpp:ping"/></iq>');
    const [first] = await device.expect(/<message[^]*?<\/message>|<iq [^>]*id="after"[^>]*\/>/);
    assert.match(first, /^<iq /, 'the device got no push-shaped message');
    // Other messages between the two accounts are still routed.
    mallory.send(`<message to="${deviceJid}" id="ok"><body>hello</body></message>`);
    await device.expect(/<message [^>]*id="ok"[^>]*><body>hello<\/body><\/message>/);
    for (const c of [device, mallory]) c.close();
  });

  test('/metrics reports connections, sessions, stanzas, auth failures and notifications', async () => {
    const client = await RawClient.tls(server);
    await loginRaw(client, robot.local, robot.token, 'metrics');
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^ocp_xmpp_connections\{listener="xmpps"\} [1-9]\d*$/m);
    assert.match(text, /^ocp_xmpp_sessions\{listener="xmpps"\} [1-9]\d*$/m);
    assert.match(text, /^ocp_xmpp_stanzas_received_total [1-9]\d*$/m);
    assert.match(text, /^ocp_xmpp_auth_failures_total \d+$/m);
    assert.match(text, /^ocp_xmpp_events_total\{event="push_notifications_sent"\} [1-9]\d*$/m);
    client.close();
  });
});

async function metrics(server: TestServer): Promise<{ sent: number }> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return { sent: Number(/^ocp_xmpp_events_total\{event="push_notifications_sent"\} (\d+)$/m.exec(text)?.[1] ?? 0) };
}

describe('google:push with the cloud\'s push directory', () => {
  let server: TestServer;
  let robot: Robot;
  let xmpp: XmppServer;
  let port: number;
  const missed = new Map<string, PrinterNotification[]>();
  const intervals = new Map<string, number>();
  const directory: PushDirectory = {
    async missedNotifications(jidLocal) {
      return missed.get(jidLocal) ?? [];
    },
    async pingIntervalSeconds(jidLocal) {
      return intervals.get(jidLocal);
    },
    async credentialsHold(credentials) {
      return credentials.map(() => true);
    },
    async channelOpened() {},
    async channelClosed() {},
  };
  before(async () => {
    ({ server, robot } = await startXmppServer());
    const { config, accounts, bus, tls } = server.context;
    xmpp = createC2sServer({ config: { ...config, xmppPingTimeoutSeconds: 0.3 }, log: silentLogger(), accounts, bus, tls, pushDirectory: directory });
    port = await xmpp.listen({ name: 'test', mode: 'direct', host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await xmpp.close();
    await server.stop();
  });

  test('on (re)subscribe, what the device missed while offline is delivered at once, after the result', async () => {
    missed.set(robot.local, [
      { type: 'printer', kind: 'jobs', printerId: 'queued', recipients: [robot.local] },
      { type: 'printer', kind: 'update_settings', printerId: 'pending', recipients: [robot.local] },
    ]);
    for (let round = 0; round < 2; round++) {
      const client = await RawClient.tls(server, port);
      await loginRaw(client, robot.local, robot.token, 'replay');
      client.send(subscribe(robot.bare));
      await client.expect(/<iq [^>]*id="3"/);
      assert.equal(decodePush(await client.expect(pushRe)).payload, 'queued');
      assert.equal(decodePush(await client.expect(pushRe)).payload, 'pending/update_settings');
      client.close();
      await client.closed;
    }
    missed.clear();
  });

  test('the ping interval is the printer\'s xmpp_timeout_value: a client silent past it is pinged, then closed', async () => {
    intervals.set(robot.local, 0.4);
    const client = await RawClient.tls(server, port);
    await loginRaw(client, robot.local, robot.token, 'interval');
    client.send(subscribe(robot.bare));
    await client.expect(/<iq [^>]*id="3"/);
    const subscribedAt = Date.now();
    await client.expect(/<ping xmlns="urn:xmpp:ping"\/>/, 3000);
    assert.ok(Date.now() - subscribedAt >= 350, 'not pinged before the interval');
    await client.expect(/<connection-timeout xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/>/, 3000);
    await client.closed;
    intervals.clear();
  });
});

describe('google:push limits', () => {
  let server: TestServer;
  let robot: Robot;
  before(async () => {
    ({ server, robot } = await startXmppServer());
  });
  after(() => server.stop());

  test('a session may subscribe to at most 8 channels: beyond that, resource-constraint', async () => {
    const client = await RawClient.tls(server);
    await loginRaw(client, robot.local, robot.token, 'many');
    const items = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `<item channel="c${from + i}" from="c${from + i}"/>`).join('');
    client.send(`<iq type="set" to="${robot.bare}" id="ok"><subscribe xmlns="google:push">${items(0, 8)}</subscribe></iq>`);
    assert.match((await client.expect(/<iq [^>]*id="ok"[^>]*\/?>/))[0], /type="result"/);
    client.send(`<iq type="set" to="${robot.bare}" id="more"><subscribe xmlns="google:push">${items(8, 9)}</subscribe></iq>`);
    const [refused] = await client.expect(/<iq [^>]*id="more"[^>]*>.*?<\/iq>/);
    assert.match(refused, /type="error"/);
    assert.match(refused, /resource-constraint/);
    client.close();
  });
});
