// Interop: slixmpp (an independent Python implementation) does the full
// device flow against `ocp server` on both client ports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startWithClaimedPrinter, type ClaimedSetup } from '../xmpp/fixtures.ts';
import { submitJob } from '../helpers/cloud.ts';
import { ChildClient } from './child.ts';

const script = fileURLToPath(new URL('./slixmpp_device.py', import.meta.url));

let server: ClaimedSetup['server'];
let owner: ClaimedSetup['owner'];
let printer: ClaimedSetup['printer'];
let robot: ClaimedSetup['robot'];
before(async () => {
  ({ server, owner, printer, robot } = await startWithClaimedPrinter());
});
after(() => server.stop());

for (const mode of ['starttls', 'tls'] as const) {
  test(`slixmpp full flow (${mode})`, async () => {
    const port = mode === 'tls' ? server.ports.xmpps! : server.ports.xmpp!;
    const device = ChildClient.start('/usr/bin/python3', [script, '127.0.0.1', String(port), mode, `${robot.bare}/slix`, robot.token, server.context.tls.caPath!]);
    try {
      assert.equal(await device.line('ONLINE'), `ONLINE ${robot.bare}/slix`);
      assert.equal(await device.line('SUBSCRIBED'), `SUBSCRIBED ${robot.bare}/slix ${robot.bare}`);
      assert.equal((await submitJob(server, owner.token, printer.printerId)).body.success, true);
      assert.equal(await device.line('PUSH'), `PUSH cloudprint.google.com ${printer.printerId}`);
      assert.equal(await device.line('PONG'), 'PONG ok');
      await device.line('DONE');
    } finally {
      device.kill();
    }
  });
}
