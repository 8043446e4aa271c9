// Interop: slixmpp (an independent Python implementation) does the full
// device flow against `ocp server` on both client ports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { TestServer } from '../helpers/server.ts';
import { startXmppServer, type Robot } from '../xmpp/fixtures.ts';
import { ChildClient } from './child.ts';

const script = fileURLToPath(new URL('./slixmpp_device.py', import.meta.url));

let server: TestServer;
let robot: Robot;
before(async () => {
  ({ server, robot } = await startXmppServer());
});
after(() => server.stop());

for (const mode of ['starttls', 'tls'] as const) {
  test(`slixmpp full flow (${mode})`, async () => {
    const port = mode === 'tls' ? server.ports.xmpps! : server.ports.xmpp!;
    const device = ChildClient.start('/usr/bin/python3', [script, '127.0.0.1', String(port), mode, `${robot.bare}/slix`, robot.token, server.context.tls.caPath!]);
    try {
      assert.equal(await device.line('ONLINE'), `ONLINE ${robot.bare}/slix`);
      assert.equal(await device.line('SUBSCRIBED'), `SUBSCRIBED ${robot.bare}/slix ${robot.bare}`);
      await server.context.bus.publish({ type: 'printer', kind: 'update_settings', printerId: 'printer-7', recipients: [robot.local] });
      assert.equal(await device.line('PUSH'), 'PUSH cloudprint.google.com printer-7/update_settings');
      assert.equal(await device.line('PONG'), 'PONG ok');
      await device.line('DONE');
    } finally {
      device.kill();
    }
  });
}
