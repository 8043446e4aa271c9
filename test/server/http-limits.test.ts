// --http-idle-timeout and --http-max-connections-per-address: clients that
// start a request and stop sending are closed, one source address cannot hold
// more than its share of connections, and neither hurts anyone else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cloudApi, createUser, type TestUser } from '../helpers/cloud.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { halfSentMultipart, openManyStalled, openStalled } from '../helpers/stalled.ts';

// Long enough for the checks below to run before the first stalled connection times out on a busy machine.
const IDLE_SECONDS = 8;
const STALLED = 1500;
let server: TestServer;
let user: TestUser;

before(async () => {
  server = await startTestServer({ httpIdleTimeoutSeconds: IDLE_SECONDS, httpMaxConnectionsPerAddress: STALLED });
  user = await createUser(server);
});
after(() => server.stop());

test(`${STALLED} stalled register bodies from one address: its next connection is refused, another address is answered at once, and the idle timeout closes them`, async (t) => {
  const opened = Date.now();
  const stalled = await openManyStalled(server.ports.http!, halfSentMultipart('/cloudprint/register'), STALLED, '127.0.0.2');
  t.diagnostic(`${STALLED} stalled connections opened in ${Date.now() - opened} ms`);
  let closedEarly = 0;
  for (const client of stalled) void client.closed.then(() => closedEarly++);
  try {
    // The cap: the address already holds its share, so one more is closed without an answer.
    const extra = await openStalled(server.ports.http!, halfSentMultipart('/cloudprint/register'), '127.0.0.2');
    const refusedWithin = await Promise.race([extra.closed.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 2000))]);
    extra.socket.destroy();
    assert.equal(refusedWithin, true, 'a connection over the per-address cap is closed at once');

    // Another source address is not affected: an authenticated request gets its answer in under a second.
    const started = Date.now();
    const search = await cloudApi(server, 'search', {}, { token: user.token });
    const ms = Date.now() - started;
    assert.equal(search.status, 200);
    assert.equal(search.body.success, true);
    t.diagnostic(`an authenticated search answered in ${ms} ms`);
    assert.ok(ms < 1000, `search took ${ms} ms with ${STALLED} stalled connections open`);
    assert.ok(Date.now() - opened < IDLE_SECONDS * 1000, 'the checks above ran before the idle timeout');
    assert.equal(closedEarly, 0, 'stalled connections are held until the idle timeout');

    // The idle timeout: every stalled connection is closed by the server.
    const deadline = new Promise<'late'>((r) => setTimeout(() => r('late'), IDLE_SECONDS * 1000 + 10_000).unref());
    const outcome = await Promise.race([Promise.all(stalled.map((c) => c.closed)).then(() => 'closed' as const), deadline]);
    assert.equal(outcome, 'closed', `${STALLED - closedEarly} stalled connections still open ${IDLE_SECONDS + 10} s after the idle timeout`);
    assert.ok(Date.now() - opened >= IDLE_SECONDS * 1000 - 100, 'not closed before the idle timeout');
  } finally {
    for (const client of stalled) client.socket.destroy();
    await Promise.all(stalled.map((c) => c.closed));
  }
});
