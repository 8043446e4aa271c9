// Interop: @xmpp/client (xmpp.js) does the full device flow against `ocp server`:
// STARTTLS, SASL PLAIN, bind, google:push subscribe, a push, a ping.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createUser, registerAndClaim, submitJob, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';
import { ChildClient } from './child.ts';

const script = fileURLToPath(new URL('./xmpp-js-device.ts', import.meta.url));

let server: TestServer;
let owner: TestUser;
let printer: ClaimedPrinter;
let robot: { local: string; token: string; bare: string };
before(async () => {
  server = await startTestServer();
  owner = await createUser(server);
  printer = await registerAndClaim(server, owner);
  // The robot credentials the claimed printer got: xmpp_jid and the OAuth2 access token.
  robot = { local: printer.jidLocal, token: printer.accessToken, bare: printer.xmppJid };
});
after(() => server.stop());

for (const [label, service] of [
  ['STARTTLS port', () => `xmpp://127.0.0.1:${server.ports.xmpp}`],
  ['direct TLS port', () => `xmpps://127.0.0.1:${server.ports.xmpps}`],
] as const) {
  test(`@xmpp/client full flow on the ${label}`, async () => {
    const device = ChildClient.start(process.execPath, ['--import', 'tsx', script, service(), 'localhost', robot.local, robot.token], {
      NODE_EXTRA_CA_CERTS: server.context.tls.caPath,
    });
    try {
      const online = await device.line('ONLINE');
      assert.equal(online, `ONLINE ${robot.bare}/xmppjs`);
      assert.equal(await device.line('SUBSCRIBED'), `SUBSCRIBED ${robot.bare}/xmppjs ${robot.bare}`);
      assert.equal((await submitJob(server, owner.token, printer.printerId)).body.success, true);
      assert.equal(await device.line('PUSH'), `PUSH cloudprint.google.com ${printer.printerId}`);
      assert.equal(await device.line('PONG'), 'PONG cloudprint.google.com');
      assert.equal(await device.exited, 0);
    } finally {
      device.kill();
    }
  });
}
