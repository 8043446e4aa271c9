// Interop: slixmpp (an independent Python implementation) does the full
// device flow against `ocp server` on both client ports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startWithClaimedPrinter, type ClaimedSetup } from '../xmpp/fixtures.ts';
import { submitJob } from '../helpers/cloud.ts';
import { ChildClient } from './child.ts';

const script = fileURLToPath(new URL('./slixmpp_device.py', import.meta.url));

let setup: ClaimedSetup;
before(async () => {
  setup = await startWithClaimedPrinter();
});
after(() => setup.server.stop());

for (const mode of ['starttls', 'tls'] as const) {
  test(`slixmpp full flow (${mode})`, async () => {
    const port = mode === 'tls' ? setup.server.ports.xmpps! : setup.server.ports.xmpp!;
    const device = ChildClient.start('/usr/bin/python3', [script, '127.0.0.1', String(port), mode, `${setup.robot.bare}/slix`, setup.robot.token, setup.server.context.tls.caPath!]);
    try {
      assert.equal(await device.line('ONLINE'), `ONLINE ${setup.robot.bare}/slix`);
      assert.equal(await device.line('SUBSCRIBED'), `SUBSCRIBED ${setup.robot.bare}/slix ${setup.robot.bare}`);
      assert.equal((await submitJob(setup.server, setup.owner.token, setup.printer.printerId)).body.success, true);
      assert.equal(await device.line('PUSH'), `PUSH cloudprint.google.com ${setup.printer.printerId}`);
      assert.equal(await device.line('PONG'), 'PONG ok');
      await device.line('DONE');
    } finally {
      device.kill();
    }
  });
}
