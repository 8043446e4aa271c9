// A session lives while its credentials do (docs/xmpp.md, "How long a
// session lives"): revoking its grant, deleting its printer (the robot's
// tokens are revoked) or deleting its account ends it with not-authorized,
// on whichever node it is; the expiry of its access token does not.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { cloudApi, createUser, oauthToken, registerAndClaim } from '../helpers/cloud.ts';
import { RawClient, loginRaw } from './raw-client.ts';
import { Accounts } from '../../src/auth/accounts.ts';

const notAuthorized = /<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"\/><text xmlns="urn:ietf:params:xml:ns:xmpp-streams">[^<]*revoked<\/text><\/stream:error><\/stream:stream>$/;
const subscribe = (bare: string) => `<iq type="set" to="${bare}" id="sub"><subscribe xmlns="google:push"><item channel="cloudprint.google.com" from="cloudprint.google.com"/></subscribe></iq>`;

/** The client answers a ping: its session is up. */
async function stillUp(client: RawClient, id: string): Promise<void> {
  client.send(`<iq type="get" id="${id}"><ping xmlns="urn:xmpp:ping"/></iq>`);
  await client.expect(new RegExp(`<iq type="result" id="${id}"`));
}

describe('XMPP sessions end with their credentials', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ accessTokenTtlSeconds: 1 });
  });
  after(() => server.stop());

  test('revoking a grant (/oauth2/revoke of its refresh token) ends the sessions opened with it, not those of another grant', async () => {
    const owner = await createUser(server);
    const printer = await registerAndClaim(server, owner);
    const account = await server.context.accounts.findByJidLocal(printer.jidLocal);
    const other = await server.context.accounts.issueGrant(account!.id, null);
    const revoked = await RawClient.tls(server);
    await loginRaw(revoked, printer.jidLocal, printer.accessToken, 'revoked');
    const kept = await RawClient.tls(server);
    await loginRaw(kept, printer.jidLocal, other.access_token, 'kept');
    const response = await fetch(`${server.url}/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token: printer.refreshToken }) });
    assert.equal(response.status, 200);
    await revoked.expect(notAuthorized);
    await revoked.closed;
    await stillUp(kept, 'kept');
    kept.close();
  });

  test('an access token that expires does not end its session: it lives while its grant does', async () => {
    const owner = await createUser(server);
    const printer = await registerAndClaim(server, owner);
    const client = await RawClient.tls(server);
    await loginRaw(client, printer.jidLocal, printer.accessToken, 'expiry');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(await server.context.accounts.authenticate(printer.accessToken), undefined, 'the access token has expired');
    await stillUp(client, 'expired');
    client.close();
  });

  test('deleting the printer: the device gets the delete push, then its session ends', async () => {
    const owner = await createUser(server);
    const printer = await registerAndClaim(server, owner);
    const device = await RawClient.tls(server);
    await loginRaw(device, printer.jidLocal, printer.accessToken, 'printer');
    device.send(subscribe(printer.xmppJid));
    await device.expect(/id="sub"/);
    const deleted = await cloudApi(server, 'delete', { printerid: printer.printerId }, { token: owner.token });
    assert.equal(deleted.body.success, true);
    const [, data] = await device.expect(/<push xmlns="google:push"[^>]*>.*?<data>([^<]+)<\/data>/);
    assert.equal(Buffer.from(data!, 'base64').toString(), `${printer.printerId}/delete`);
    await device.expect(notAuthorized);
    await device.closed;
  });

  test('deleting an account ends its sessions', async () => {
    const owner = await createUser(server);
    const client = await RawClient.tls(server);
    await loginRaw(client, owner.id, owner.token, 'user');
    const bystander = await createUser(server);
    const beside = await RawClient.tls(server);
    await loginRaw(beside, bystander.id, bystander.token, 'bystander');
    await server.context.accounts.deleteAccount(owner.id);
    await client.expect(notAuthorized);
    await client.closed;
    await stillUp(beside, 'bystander');
    beside.close();
  });
});

describe('revocations made outside the server (the ocp CLI): found by the periodic check', () => {
  let server: TestServer;
  /** What `ocp user delete` and `ocp token revoke` use: the store, no bus. */
  let cli: Accounts;
  before(async () => {
    server = await startTestServer({ xmppCredentialCheckSeconds: 0.2 });
    cli = new Accounts(server.context.store.db, { accessTokenTtlSeconds: 3600 });
  });
  after(() => server.stop());

  test('an account deleted and a grant revoked from another process end their sessions; a session whose credentials hold stays', async () => {
    const gone = await createUser(server);
    const goneClient = await RawClient.tls(server);
    await loginRaw(goneClient, gone.id, gone.token, 'gone');
    const owner = await createUser(server);
    const printer = await registerAndClaim(server, owner);
    const revokedClient = await RawClient.tls(server);
    await loginRaw(revokedClient, printer.jidLocal, printer.accessToken, 'revoked');
    const stays = await RawClient.tls(server);
    await loginRaw(stays, owner.id, owner.token, 'stays');
    await cli.deleteAccount(gone.id);
    await cli.revoke(printer.refreshToken);
    await goneClient.expect(notAuthorized);
    await revokedClient.expect(notAuthorized);
    await Promise.all([goneClient.closed, revokedClient.closed]);
    await new Promise((resolve) => setTimeout(resolve, 500)); // two more checks
    await stillUp(stays, 'stays');
    stays.close();
  });
});

describe('across nodes (PostgreSQL, Redis bus)', () => {
  const bus = `${process.env.OCP_TEST_REDIS ?? 'redis://127.0.0.1:6379'}?channel=ocp-revocation-${process.pid}`;
  let database: TestDatabase;
  let nodeA: TestServer;
  let nodeB: TestServer;
  before(async () => {
    database = await createTestDatabase();
    nodeA = await startTestServer({ database: database.url, bus });
    nodeB = await startTestServer({ database: database.url, bus });
  });
  after(async () => {
    await nodeA?.stop();
    await nodeB?.stop();
    await database?.drop();
  });

  test('a grant revoked through node A ends the session held by node B', async () => {
    const owner = await createUser(nodeA);
    const grant = await oauthToken(nodeA, { grant_type: 'password', username: owner.email, password: owner.password });
    const device = await RawClient.tls(nodeB);
    await loginRaw(device, owner.id, grant.body.access_token, 'far');
    await fetch(`${nodeA.url}/oauth2/revoke`, { method: 'POST', body: new URLSearchParams({ token: grant.body.refresh_token }) });
    await device.expect(notAuthorized);
    await device.closed;
  });
});
