// XMPP sessions across a three-node cluster behind HAProxy (issue 20): an
// app server and a CCS device both connect through the balancer, to
// different nodes; a downstream message reaches the device and the device's
// upstream reply reaches the app server. node-gcm's HTTP sends through the
// balancer reach the device from every node. A printer robot on the STARTTLS
// port, through the balancer, gets the push of a job submitted on another node.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Element } from 'ltx';
import { clusterUser, startCluster, type Cluster, type ClusterNode } from '../helpers/cluster.ts';
import { registerAndClaim, submitJob } from '../helpers/cloud.ts';
import type { TestServer } from '../helpers/server.ts';
import { RawClient, loginRaw, openStream } from '../xmpp/raw-client.ts';
import { runOcp } from '../helpers/server-process.ts';
import { waitFor } from '../helpers/wait.ts';
import { CcsDevice, type DownstreamMessage } from '../../src/ccs/sdk/device.ts';
import { StreamClient } from '../../src/xmpp/client/stream-client.ts';
import { gcmStanza, gcmText } from '../../src/protocol/gcm-stanza.ts';

let cluster: Cluster;
let sender: { sender_id: string; api_key: string };
let ca: string;

before(async () => {
  cluster = await startCluster();
  sender = JSON.parse((await runOcp(['sender', 'create', 'cluster app', '--json', ...cluster.storeArgs])).stdout) as typeof sender;
  ca = readFileSync(cluster.caPath, 'utf8');
});

after(async () => {
  await cluster?.stop();
});

/** XMPP sessions on every node together. */
async function sessionCount(): Promise<number> {
  const statuses = await Promise.all(cluster.nodes.map((node) => node.status()));
  return statuses.reduce((sum, status) => sum + Object.values(status.xmpp.sessions).reduce((a, b) => a + b, 0), 0);
}

/** A CCS device of `app` registered and connected through the balancer, and what it receives. */
async function connectedDevice(app: string) {
  const registration = await CcsDevice.register(cluster.balancer.url, { sender: sender.sender_id, app });
  const received: DownstreamMessage[] = [];
  const device = new CcsDevice({ host: '127.0.0.1', port: cluster.balancer.xmpps, ca, jid: registration.jid, password: registration.password! });
  device.on('message', (message) => received.push(message));
  await device.connect();
  return { registration, device, received };
}

test('an app server reaches a device held by another node through the balancer and gets its upstream reply', async () => {
  const { registration, device, received } = await connectedDevice('com.example.cluster');
  const deviceNode = await waitFor('the node holding the device', () => cluster.nodeWithSessions());

  // HAProxy's leastconn spreads app-server connections over the nodes: keep
  // connecting until one lands on a node other than the device's, then close the rest.
  const inbox: Element[] = [];
  const apps: StreamClient[] = [];
  const appCounts = () => Promise.all(cluster.nodes.map(async (node) => (await node.status()).ccs.appServerConnections));
  const total = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
  let counts = await appCounts();
  let appNode: ClusterNode | undefined;
  let app: StreamClient | undefined;
  while (!app) {
    assert.ok(apps.length < cluster.nodes.length, 'every app-server connection landed on the device\'s node');
    const connection = await StreamClient.connect({ host: '127.0.0.1', port: cluster.balancer.ccs, ca, domain: 'gcm.googleapis.com', username: `${sender.sender_id}@gcm.googleapis.com`, password: sender.api_key }, (stanza) => inbox.push(stanza));
    apps.push(connection);
    const before = counts;
    counts = await waitFor('the new app-server connection counted', async () => {
      const now = await appCounts();
      return total(now) > total(before) ? now : undefined;
    });
    const node = cluster.nodes[counts.findIndex((count, i) => count > before[i]!)]!;
    if (node !== deviceNode) [app, appNode] = [connection, node];
  }
  await Promise.all(apps.filter((connection) => connection !== app).map((other) => other.close()));
  await waitFor('one app-server connection left', async () => total(await appCounts()) === 1);
  assert.notEqual(appNode, deviceNode);
  console.log(`# device on ${deviceNode.name}, app server on ${appNode!.name}`);

  const next = async () => {
    await waitFor('a stanza for the app server', () => inbox.length > 0 || undefined, 10_000, 10);
    return JSON.parse(gcmText(inbox.shift()!) ?? 'null') as Record<string, unknown>;
  };
  const started = performance.now();
  app.send(gcmStanza(JSON.stringify({ to: registration.registration_id, message_id: 'down-1', data: { question: 'ping' } })));
  assert.equal((await next()).message_type, 'ack');
  const [message] = await waitFor('the downstream message', () => (received.length ? received : undefined), 10_000, 10);
  assert.deepEqual(message!.data, { question: 'ping' });
  await device.send({ to: sender.sender_id, message_id: 'up-1', data: { answer: 'pong' } });
  const upstream = await next();
  console.log(`# downstream and upstream reply across nodes: ${(performance.now() - started).toFixed(0)} ms`);
  assert.equal(upstream.message_id, 'up-1');
  assert.equal(upstream.from, registration.registration_id);
  assert.deepEqual(upstream.data, { answer: 'pong' });
  await app.close();
  device.close();
  await waitFor('the device session ended', async () => (await sessionCount()) === 0);
});

const gcm = createRequire(import.meta.url)('node-gcm') as {
  Sender: new (key: string, options: { uri: string }) => { send(message: unknown, recipient: unknown, options: { retries: number }, callback: (error: unknown, response: { success: number; results: Array<{ message_id?: string; error?: string }> }) => void): void };
  Message: new (options: Record<string, unknown>) => unknown;
};

test('node-gcm sends through the balancer\'s /gcm/send, each request on the next node: the device on one of them gets every message once', async () => {
  const { registration, device, received } = await connectedDevice('com.example.cluster-http');
  try {
    const logged = () => cluster.nodes.map((node) => node.log().split('\n').filter((line) => line.includes('"url":"/gcm/send"')).length);
    const before = logged();
    // Round robin over the REST backend: two requests per node.
    const client = new gcm.Sender(sender.api_key, { uri: `${cluster.balancer.url}/gcm/send` });
    const sends = 2 * cluster.nodes.length;
    for (let i = 0; i < sends; i++) {
      const response = await new Promise<{ success: number; results: Array<{ message_id?: string; error?: string }> }>((resolve, reject) =>
        client.send(new gcm.Message({ data: { n: String(i) } }), { registrationTokens: [registration.registration_id] }, { retries: 0 }, (error, res) => (error ? reject(error) : resolve(res))),
      );
      assert.equal(response.success, 1, JSON.stringify(response));
    }
    await waitFor('every message at the device', () => received.length >= sends || undefined, 10_000, 10);
    await new Promise((resolve) => setTimeout(resolve, 300)); // room for a duplicate to show
    assert.deepEqual(received.map((message) => Number(message.data?.n)).sort((a, b) => a - b), Array.from({ length: sends }, (_, i) => i));
    // Each node took at least one of the sends (its log line may trail the response a little).
    const after = await waitFor('each node logged its sends', () => {
      const now = logged();
      return now.every((count, i) => count > before[i]!) ? now : undefined;
    }, 5000);
    assert.equal(after.reduce((a, b) => a + b, 0) - before.reduce((a, b) => a + b, 0), sends);
  } finally {
    device.close();
    await waitFor('the device session ended', async () => (await sessionCount()) === 0);
  }
});

test('a printer on the STARTTLS port through the balancer gets the push of a job submitted on another node', async () => {
  const owner = await clusterUser(cluster);
  const printer = await registerAndClaim(cluster.balancer, { ...owner, password: '', id: '' });
  // RawClient reads the CA from a server's context and connects to the given port: the balancer's.
  const balancerAsServer = { context: { tls: { caPath: cluster.caPath } } } as unknown as TestServer;
  const device = await RawClient.tcp(balancerAsServer, cluster.balancer.xmpp);
  try {
    await openStream(device);
    device.send('<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>');
    await device.expect(/<proceed xmlns="urn:ietf:params:xml:ns:xmpp-tls"\/>/);
    await device.startTls();
    const jid = await loginRaw(device, printer.jidLocal, printer.accessToken, 'printer');
    device.send(`<iq type="set" to="${printer.xmppJid}" id="sub"><subscribe xmlns="google:push"><item channel="cloudprint.google.com" from="cloudprint.google.com"/></subscribe></iq>`);
    await device.expect(/<iq [^>]*id="sub"/);
    const holding = await waitFor('the node holding the robot', () => cluster.nodeWithSessions());
    const submitter = cluster.nodes.find((node) => node !== holding)!;
    assert.equal((await submitJob(submitter, owner.token, printer.printerId)).body.success, true);
    const [, to, data] = await device.expect(/<message [^>]*to="([^"]+)"[^>]*><push xmlns="google:push"[^>]*>.*?<data>([^<]+)<\/data>/);
    assert.equal(to, jid);
    assert.equal(Buffer.from(data!, 'base64').toString(), printer.printerId);
  } finally {
    device.close();
    await device.closed;
  }
});
