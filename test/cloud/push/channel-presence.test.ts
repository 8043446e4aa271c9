// connectionStatus follows the push channel as the push directory records it:
// a device that reconnected (on this node or another) before the server
// noticed its old connection die stays ONLINE when that old session closes;
// a node that shuts down leaves its devices OFFLINE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, registerPrinter, type ClaimedPrinter, type TestUser } from '../../helpers/cloud.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';
import { waitFor } from '../../helpers/wait.ts';
import { RawClient, loginRaw } from '../../xmpp/raw-client.ts';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`push channel presence [${dialect}]`, () => {
    let server: TestServer;
    let pgdb: TestDatabase | undefined;
    let owner: TestUser;
    let printer: ClaimedPrinter;

    before(async () => {
      if (dialect === 'postgres') pgdb = await createTestDatabase();
      server = await startTestServer(pgdb ? { database: pgdb.url } : {});
      owner = await createUser(server);
      printer = await registerAndClaim(server, owner, { name: 'Presence' });
    });
    after(async () => {
      await server.stop();
      await pgdb?.drop();
    });

    async function status(printerId = printer.printerId): Promise<string> {
      const reply = await cloudApi(server, 'search', {}, { token: owner.token });
      return reply.body.printers.find((p: Record<string, any>) => p.id === printerId).connectionStatus;
    }

    test('never connected: DORMANT; open: ONLINE; closed: OFFLINE', async () => {
      const directory = server.context.pushDirectory;
      assert.equal(await status(), 'DORMANT');
      await directory.channelOpened(printer.jidLocal, 1_000);
      assert.equal(await status(), 'ONLINE');
      await directory.channelClosed(printer.jidLocal, 1_000, 2_000);
      assert.equal(await status(), 'OFFLINE');
      await directory.channelOpened(printer.jidLocal, 3_000);
      assert.equal(await status(), 'ONLINE');
    });

    test('a printer its connected robot registers later is ONLINE at once', async () => {
      const added = await registerPrinter(server, { name: 'Added later', token: printer.accessToken });
      assert.equal(added.body.success, true);
      assert.equal(added.body.printers[0].connectionStatus, 'ONLINE');
      const listed = await cloudApi(server, 'list', {}, { token: printer.accessToken });
      assert.equal(listed.body.printers.find((p: Record<string, any>) => p.id === added.body.printers[0].id).connectionStatus, 'ONLINE');
    });

    test('an old session closing after the device reconnected elsewhere leaves it ONLINE', async () => {
      const directory = server.context.pushDirectory;
      await directory.channelOpened(printer.jidLocal, 10_000);
      await directory.channelOpened(printer.jidLocal, 11_000);
      await directory.channelClosed(printer.jidLocal, 10_000, 12_000);
      assert.equal(await status(), 'ONLINE');
      await directory.channelClosed(printer.jidLocal, 11_000, 13_000);
      assert.equal(await status(), 'OFFLINE');
    });

    test('a node that shuts down records its devices disconnected', async () => {
      const device = await RawClient.tls(server);
      try {
        const other = await registerAndClaim(server, owner, { name: 'Shutdown' });
        await loginRaw(device, other.jidLocal, other.accessToken, 'printer');
        device.send(`<iq type="set" to="${other.xmppJid}" id="3"><subscribe xmlns="google:push"><item channel="cloudprint.google.com" from="cloudprint.google.com"/></subscribe></iq>`);
        await device.expect(/<iq [^>]*id="3"/);
        await waitFor('ONLINE', async () => ((await status(other.printerId)) === 'ONLINE' ? true : undefined), 5000);
        await server.stop({ keepData: true });
        server = await startTestServer(pgdb ? { database: pgdb.url } : { dataDir: server.dataDir });
        assert.equal(await status(other.printerId), 'OFFLINE');
      } finally {
        device.close();
      }
    });

    test('a printer notified over FCM: UNKNOWN', async () => {
      await cloudApi(server, 'update', { printerid: printer.printerId, notification_channel: 'FCM_CHANNEL' }, { token: printer.accessToken });
      assert.equal(await status(), 'UNKNOWN');
    });
  });
}
