// Interop: @xmpp/client (xmpp.js) does the full device flow against `ocp server`:
// STARTTLS, SASL PLAIN, bind, google:push subscribe, a push, a ping.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startWithClaimedPrinter, type ClaimedSetup } from '../xmpp/fixtures.ts';
import { submitJob } from '../helpers/cloud.ts';
import { ChildClient } from './child.ts';

const script = fileURLToPath(new URL('./xmpp-js-device.ts', import.meta.url));

let server: ClaimedSetup['server'];
let owner: ClaimedSetup['owner'];
let printer: ClaimedSetup['printer'];
let robot: ClaimedSetup['robot'];
before(async () => {
  ({ server, owner, printer, robot } = await startWithClaimedPrinter());
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
