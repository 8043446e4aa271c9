// Interop: @xmpp/client (xmpp.js) does the full device flow against `ocp server`:
// STARTTLS, SASL PLAIN, bind, google:push subscribe, a push, a ping.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { TestServer } from '../helpers/server.ts';
import { startXmppServer, type Robot } from '../xmpp/fixtures.ts';
import { ChildClient } from './child.ts';

const script = fileURLToPath(new URL('./xmpp-js-device.ts', import.meta.url));

let server: TestServer;
let robot: Robot;
before(async () => {
  ({ server, robot } = await startXmppServer());
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
      await server.context.bus.publish({ type: 'printer', kind: 'jobs', printerId: 'printer-42', recipients: [robot.local] });
      assert.equal(await device.line('PUSH'), 'PUSH cloudprint.google.com printer-42');
      assert.equal(await device.line('PONG'), 'PONG cloudprint.google.com');
      assert.equal(await device.exited, 0);
    } finally {
      device.kill();
    }
  });
}
