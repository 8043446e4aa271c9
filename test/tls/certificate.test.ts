import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { startServer } from '../../src/server/index.ts';
import { defaultServerConfig } from '../../src/config.ts';
import { certificateNames } from '../../src/tls/material.ts';
import { XmppChannel } from '../../src/client/push-channel.ts';
import { startTestServer, tempDir } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';
import { capturingLogger } from '../helpers/log.ts';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function startOn(dataDir: string, overrides: Parameters<typeof defaultServerConfig>[0] = {}) {
  const { log, lines } = capturingLogger();
  const config = defaultServerConfig({ dataDir, host: '127.0.0.1', httpPort: 0, xmppPort: -1, xmppsPort: 0, ccsPort: -1, ...overrides });
  return { server: await startServer(config, log), lines };
}

/** Whether a TLS client trusting `ca` and checking `servername` accepts the server at 127.0.0.1:`port`. */
function verifies(port: number, servername: string, ca: string): Promise<true | string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername, ca }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

test('changing --public-url issues a certificate naming the new host from the same CA, and logs its names', async () => {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const tlsDir = join(dataDir, 'tls');
  let { server, lines } = await startOn(dataDir);
  const ca = readFileSync(join(tlsDir, 'ca.pem'), 'utf8');
  assert.equal(await verifies(server.ports.xmpps!, 'printhost.example', ca), 'ERR_TLS_CERT_ALTNAME_INVALID');
  await server.close();

  ({ server, lines } = await startOn(dataDir, { publicUrl: 'http://printhost.example:8080', tlsNames: ['10.88.0.1', 'print.lan'] }));
  assert.equal(readFileSync(join(tlsDir, 'ca.pem'), 'utf8'), ca, 'the CA devices trust stays');
  const pem = readFileSync(join(tlsDir, 'server.pem'), 'utf8');
  const names = certificateNames(pem);
  for (const name of ['printhost.example', '10.88.0.1', 'print.lan', 'localhost', '127.0.0.1', '::1']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
  assert.equal(await verifies(server.ports.xmpps!, 'printhost.example', ca), true);
  const logged = lines.find((line) => line.msg === 'issued a new TLS certificate');
  assert.deepEqual(logged?.names, names);
  await server.close();

  ({ server, lines } = await startOn(dataDir, { publicUrl: 'http://printhost.example:8080', tlsNames: ['10.88.0.1', 'print.lan'] }));
  assert.equal(readFileSync(join(tlsDir, 'server.pem'), 'utf8'), pem, 'same names: the certificate is kept');
  assert.deepEqual(lines.find((line) => line.msg === 'TLS certificate')?.names, names);
  await server.close();
});

test('a device that fails to verify the server names the host it checked and the option that fixes it', async () => {
  const a = await startTestServer({ xmppPort: -1, ccsPort: -1 });
  // B serves A's certificate (loopback names only) on an address it does not name.
  const b = await startTestServer({ host: '127.0.0.2', xmppPort: -1, ccsPort: -1, tlsCert: join(a.dataDir, 'tls', 'server.pem'), tlsKey: join(a.dataDir, 'tls', 'server-key.pem') });
  const caFile = join(a.dataDir, 'tls', 'ca.pem');
  const attempt = async (service: string, ca: string | undefined) => {
    const { log, lines } = capturingLogger();
    const channel = new XmppChannel({ service, jid: 'robot@localhost', password: async () => 'x', ca, resource: 'r', pingIntervalSeconds: () => 300, log, onState: () => {}, onPush: () => {} });
    channel.start();
    try {
      return await waitFor('the failure log line', () => lines.find((line) => String(line.msg).startsWith('XMPP connection failed')));
    } finally {
      await channel.stop();
    }
  };
  try {
    const untrusted = await attempt(`xmpps://localhost:${a.ports.xmpps}`, undefined);
    assert.equal(untrusted.msg, 'XMPP connection failed: certificate not verified');
    assert.match(String(untrusted.advice), /"localhost" is not signed by a CA this device trusts: give --ca with the server's DATA\/tls\/ca.pem/);

    const misnamed = await attempt(`xmpps://127.0.0.2:${b.ports.xmpps}`, caFile);
    assert.match(String(misnamed.advice), /does not name "127\.0\.0\.2" \(it names .*127\.0\.0\.1.*\): start the server with --public-url or --tls-name giving "127\.0\.0\.2"/);
  } finally {
    await b.stop();
    await a.stop();
  }
});
