// Interop: @xmpp/client (xmpp.js) does the full device flow against `ocp server`:
// STARTTLS, SASL PLAIN, bind, google:push subscribe, a push, a ping.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startWithClaimedPrinter, type ClaimedSetup } from '../xmpp/fixtures.ts';
import { submitJob } from '../helpers/cloud.ts';
import { ChildClient } from './child.ts';

const script = fileURLToPath(new URL('./xmpp-js-device.ts', import.meta.url));

let setup: ClaimedSetup;
before(async () => {
  setup = await startWithClaimedPrinter();
});
after(() => setup.server.stop());

for (const [label, service] of [
  ['STARTTLS port', () => `xmpp://127.0.0.1:${setup.server.ports.xmpp}`],
  ['direct TLS port', () => `xmpps://127.0.0.1:${setup.server.ports.xmpps}`],
] as const) {
  test(`@xmpp/client full flow on the ${label}`, async () => {
    const device = ChildClient.start(process.execPath, ['--import', 'tsx', script, service(), 'localhost', setup.robot.local, setup.robot.token], {
      NODE_EXTRA_CA_CERTS: setup.server.context.tls.caPath,
    });
    try {
      const online = await device.line('ONLINE');
      assert.equal(online, `ONLINE ${setup.robot.bare}/xmppjs`);
      assert.equal(await device.line('SUBSCRIBED'), `SUBSCRIBED ${setup.robot.bare}/xmppjs ${setup.robot.bare}`);
      assert.equal((await submitJob(setup.server, setup.owner.token, setup.printer.printerId)).body.success, true);
      assert.equal(await device.line('PUSH'), `PUSH cloudprint.google.com ${setup.printer.printerId}`);
      assert.equal(await device.line('PONG'), 'PONG cloudprint.google.com');
      assert.equal(await device.exited, 0);
    } finally {
      device.kill();
    }
  });
}
