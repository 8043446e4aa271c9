// Client addresses through HAProxy (issue 20): the balancer names each client
// to the node (X-Forwarded-For on REST, a PROXY v2 header on the TCP ports,
// --trusted-proxies 127.0.0.1), so the per-address HTTP connection cap
// counts each client apart and a node logs an XMPP client's own address.
// Clients here come from distinct loopback addresses (127.0.0.2, .3, .4).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { startCluster, type Cluster } from '../helpers/cluster.ts';
import { runOcp } from '../helpers/server-process.ts';
import { halfSentMultipart, openStalled, type StalledClient } from '../helpers/stalled.ts';
import { waitFor } from '../helpers/wait.ts';
import { RawClient, loginRaw } from '../xmpp/raw-client.ts';

const CAP = 2;
let cluster: Cluster;

before(async () => {
  // One node: every request through the balancer reaches the node whose cap is under test.
  cluster = await startCluster({ nodes: 1, nodeArgs: ['--http-max-connections-per-address', String(CAP)] });
});

after(async () => {
  await cluster?.stop();
});

/** GET /healthz through the balancer from `localAddress`: the status. */
function healthFrom(localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL('/healthz', cluster.balancer.url);
    request(url, { localAddress, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

test('through the balancer, the per-address HTTP connection cap holds one client back and serves another', async () => {
  const port = Number(new URL(cluster.balancer.url).port);
  const held: StalledClient[] = [];
  try {
    // Registrations whose bodies stop half-way: requests in progress on the node, from 127.0.0.2.
    for (let i = 0; i < CAP; i++) held.push(await openStalled(port, halfSentMultipart('/cloudprint/register'), '127.0.0.2'));
    await waitFor('127.0.0.2 at its cap', async () => (await healthFrom('127.0.0.2')) === 429 || undefined);
    assert.equal(await healthFrom('127.0.0.3'), 200);
  } finally {
    for (const client of held) client.socket.destroy();
    await Promise.all(held.map((client) => client.closed));
  }
});

test('a node logs the client\'s address, not the balancer\'s, for an XMPP session through it', async () => {
  const sender = JSON.parse((await runOcp(['sender', 'create', 'address app', '--json', ...cluster.storeArgs])).stdout) as { sender_id: string; api_key: string };
  const app = await RawClient.tlsTo(cluster.balancer.ccs, readFileSync(cluster.caPath), { localAddress: '127.0.0.4' });
  await loginRaw(app, sender.sender_id, sender.api_key);
  const node = cluster.nodes[0]!;
  // Complete lines only: the last one may still be on its way through the pipe.
  const line = await waitFor('the session in the node\'s log', () => node.log().split('\n').slice(0, -1).find((text) => text.includes('xmpp session started') && text.includes('"listener":"ccs"')));
  assert.equal((JSON.parse(line) as { ip: string }).ip, '127.0.0.4');
  app.close();
  await app.closed;
});
