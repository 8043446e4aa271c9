// End to end: REST calls of the cloud service cause pushes on the XMPP channel
// of the claimed printer's robot (Privet §4.1.3–4.1.5).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../../helpers/server.ts';
import { SAMPLE_LOCAL_SETTINGS, createUser, registerAndClaim, submitJob, type ClaimedPrinter, type TestUser } from '../../helpers/cloud.ts';
import { RawClient, loginRaw } from '../../xmpp/raw-client.ts';

const PUSH = /<message from="cloudprint\.google\.com" to="([^"]+)"><push xmlns="google:push" channel="cloudprint\.google\.com"><recipient to="([^"]+)"\/><data>([^<]*)<\/data><\/push><\/message>/;
const payloadOf = (match: RegExpExecArray) => Buffer.from(match[3]!, 'base64').toString();

async function subscribedDevice(server: TestServer, printer: ClaimedPrinter, resource: string): Promise<RawClient> {
  const client = await RawClient.tls(server);
  await loginRaw(client, printer.jidLocal, printer.accessToken, resource);
  client.send(`<iq type="set" to="${printer.xmppJid}" id="3"><subscribe xmlns="google:push"><item channel="cloudprint.google.com" from="cloudprint.google.com"/></subscribe></iq>`);
  await client.expect(/<iq [^>]*id="3"[^>]*\/>/);
  return client;
}

describe('pushes caused by the cloud REST API', () => {
  let server: TestServer;
  let owner: TestUser;
  before(async () => {
    server = await startTestServer();
    owner = await createUser(server);
  });
  after(() => server.stop());

  test('the robot logs in with its xmpp_jid and access token; /submit pushes PRINTER_ID within milliseconds', async () => {
    const printer = await registerAndClaim(server, owner);
    const device = await subscribedDevice(server, printer, 'dev');
    const started = performance.now();
    const submitted = await submitJob(server, owner.token, printer.printerId);
    assert.equal(submitted.body.success, true);
    const push = await device.expect(PUSH);
    assert.ok(performance.now() - started < 2000);
    assert.equal(payloadOf(push), printer.printerId);
    assert.equal(push[2], printer.xmppJid);
    device.close();
  });

  test('a device that was offline gets the queued-jobs push at once when it subscribes', async () => {
    const printer = await registerAndClaim(server, owner);
    assert.equal((await submitJob(server, owner.token, printer.printerId)).body.success, true);
    const device = await subscribedDevice(server, printer, 'late');
    assert.equal(payloadOf(await device.expect(PUSH)), printer.printerId);
    device.close();
  });

  test('the printer\'s xmpp_timeout_value is the ping interval the server expects', async () => {
    const printer = await registerAndClaim(server, owner, { localSettings: { current: { ...SAMPLE_LOCAL_SETTINGS.current, xmpp_timeout_value: 1 } } });
    const device = await subscribedDevice(server, printer, 'interval');
    const subscribedAt = Date.now();
    await device.expect(/<iq type="get" from="localhost" to="[^"]+" id="[^"]+"><ping xmlns="urn:xmpp:ping"\/><\/iq>/, 8000);
    const waited = Date.now() - subscribedAt;
    // Not before the interval; soon after it (the sweep runs every second; the machine may be busy).
    assert.ok(waited >= 900 && waited < 6000, `pinged after ${waited} ms`);
    device.close();
  });
});
