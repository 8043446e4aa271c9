// The console's server side over plain HTTP: its pages' headers, the session
// cookie (refresh token out of script's reach, CSRF checks), the shares
// route, and the event stream fed by the notification bus.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerPrinter, type TestUser } from '../helpers/cloud.ts';
import { readEvents } from './console-events-client.ts';
import { statSync, utimesSync } from 'node:fs';
import { ensureConsoleBundle } from '../../src/web/console-bundle.ts';

let server: TestServer;
let owner: TestUser;
let stranger: TestUser;
before(async () => {
  server = await startTestServer({ consoleHeartbeatSeconds: 0.2, consoleStreamsPerAccount: 2 });
  owner = await createUser(server);
  stranger = await createUser(server);
});
after(() => server.stop());

const CONSOLE = { 'x-ocp-console': '1', 'content-type': 'application/json' };

function session(path: string, init: { body?: unknown; cookie?: string; headers?: Record<string, string> } = {}) {
  return fetch(`${server.url}/console/session${path}`, {
    method: 'POST',
    headers: { ...CONSOLE, ...(init.cookie ? { cookie: init.cookie } : {}), ...init.headers },
    body: JSON.stringify(init.body ?? {}),
  });
}

const refreshCookie = (response: Response) => /ocp_console_refresh=([^;]*)/.exec(response.headers.get('set-cookie') ?? '')?.[1] ?? '';

test('/ redirects to the console, whose page, script and style are served with strict headers', async () => {
  const root = await fetch(`${server.url}/`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/console/');
  const page = await fetch(`${server.url}/console/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const html = await page.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
  const assets = [...html.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(assets.sort(), ['/console/app.js', '/console/console.css']);
  for (const asset of assets) {
    const response = await fetch(`${server.url}${asset}`);
    assert.equal(response.status, 200, `${asset} is served`);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  }
});

test('sign-in keeps the refresh token in an HttpOnly SameSite=Strict cookie scoped to the session route', async () => {
  const response = await session('', { body: { email: owner.email, password: owner.password } });
  assert.equal(response.status, 200);
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(typeof body.access_token, 'string');
  assert.equal(body.refresh_token, undefined, 'the page never sees the refresh token');
  const cookie = response.headers.get('set-cookie') ?? '';
  assert.match(cookie, /; Path=\/console\/session;/);
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Strict/);
  const wrong = await session('', { body: { email: owner.email, password: 'wrong' } });
  assert.equal(wrong.status, 401);
  assert.equal(((await wrong.json()) as Record<string, unknown>).message, 'Wrong email or password');
});

test('refresh rotates the cookie; another site cannot use it (no console header, or a foreign Origin)', async () => {
  const signedIn = await session('', { body: { email: owner.email, password: owner.password } });
  const first = refreshCookie(signedIn);
  let cookie = `ocp_console_refresh=${first}`;
  const noHeader = await fetch(`${server.url}/console/session/refresh`, { method: 'POST', headers: { cookie } });
  assert.equal(noHeader.status, 403);
  for (const origin of ['https://evil.example', 'null', `http://${new URL(server.url).hostname}:1`]) {
    const foreign = await session('/refresh', { cookie, headers: { origin } });
    assert.equal(foreign.status, 403, origin);
  }
  // Behind a TLS-terminating proxy the page's origin is https:// while this server hears http://.
  const proxied = await session('/refresh', { cookie, headers: { origin: `https://${new URL(server.url).host}` } });
  assert.equal(proxied.status, 200);
  cookie = `ocp_console_refresh=${refreshCookie(proxied)}`;
  const refreshed = await session('/refresh', { cookie, headers: { origin: server.url } });
  const previous = cookie;
  assert.equal(refreshed.status, 200);
  const reply = (await refreshed.json()) as Record<string, unknown>;
  assert.equal(reply.email, owner.email);
  assert.equal((await cloudApi(server, 'search', {}, { token: String(reply.access_token) })).body.success, true);
  const second = refreshCookie(refreshed);
  assert.ok(second && `ocp_console_refresh=${second}` !== previous, 'the refresh token rotated');
  // Sign-out revokes the grant and clears the cookie.
  const ended = await session('/end', { cookie: `ocp_console_refresh=${second}` });
  assert.match(ended.headers.get('set-cookie') ?? '', /ocp_console_refresh=; .*Max-Age=0/);
  assert.equal((await session('/refresh', { cookie: `ocp_console_refresh=${second}` })).status, 401);
  assert.equal((await cloudApi(server, 'search', {}, { token: String(reply.access_token) })).status, 401, 'the access token went with its grant');
});

test('the event stream tells a printer\'s owner of its changes, and tells nobody else', async () => {
  const printerId = String((await registerPrinter(server, { token: owner.token })).body.printers[0].id);
  assert.equal((await fetch(`${server.url}/console/events`)).status, 401);
  const update = () => cloudApi(server, 'update', { printerid: printerId, semantic_state: JSON.stringify({ version: '1.0', printer: { state: 'STOPPED' } }) }, { token: owner.token }).then(() => {});
  const seen = await readEvents(server, owner.token, (events) => events.some((e) => e.includes('event: change')), update);
  const change = seen.find((e) => e.includes('event: change'))!;
  assert.deepEqual(JSON.parse(/^data: (.*)$/m.exec(change)![1]!), { printerId, what: 'printer' });
  // The stranger's stream hears only keep-alives (heartbeat 0.2 s) while the owner's printer changes.
  const strangers = await readEvents(server, stranger.token, (events) => events.filter((e) => e.startsWith(': keep-alive')).length >= 3, update);
  assert.equal(strangers.filter((e) => e.includes('event: change')).length, 0);
  // Shared with the stranger, the printer's changes reach them too.
  await cloudApi(server, 'share', { printerid: printerId, scope: stranger.email }, { token: owner.token });
  const shared = await readEvents(server, stranger.token, (events) => events.some((e) => e.includes('event: change')), update);
  assert.ok(shared.some((e) => e.includes(printerId)));
});

test('the event stream ends when its access token stops holding', async () => {
  const grant = await session('', { body: { email: owner.email, password: owner.password } });
  const { access_token: token } = (await grant.json()) as { access_token: string };
  const started = Date.now();
  const events = await readEvents(server, token, () => false, () => server.context.accounts.revoke(token), 5000);
  assert.ok(Date.now() - started < 4000, 'the server ended the stream, not the test timeout');
  assert.ok(events.length >= 1);
});

test('/console/shares lists a printer\'s shares for its managers, with whether each email has an account', async () => {
  const printerId = String((await registerPrinter(server, { token: owner.token })).body.printers[0].id);
  await cloudApi(server, 'share', { printerid: printerId, scope: stranger.email }, { token: owner.token });
  await cloudApi(server, 'share', { printerid: printerId, scope: 'nobody-yet@example.com' }, { token: owner.token });
  const get = (token: string, headers: Record<string, string> = { 'x-ocp-console': '1' }) =>
    fetch(`${server.url}/console/shares?printerid=${printerId}`, { headers: { ...headers, authorization: `Bearer ${token}` } });
  const reply = (await (await get(owner.token)).json()) as { shares: Array<Record<string, unknown>> };
  assert.deepEqual(reply.shares, [
    { scope: 'nobody-yet@example.com', role: 'USER', known: false },
    { scope: stranger.email, role: 'USER', known: true },
  ]);
  assert.equal((await get(stranger.token)).status, 404, 'a USER does not manage the printer');
  assert.equal((await get(owner.token, {})).status, 401, 'console requests only');
});

test('an account holds --console-streams-per-account streams; the oldest closes when one more opens', { timeout: 10_000 }, async () => {
  const user = await createUser(server);
  const controllers: AbortController[] = [];
  const open = async () => {
    const controller = new AbortController();
    controllers.push(controller);
    const response = await fetch(`${server.url}/console/events`, { headers: { authorization: `Bearer ${user.token}` }, signal: controller.signal });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    await reader.read(); // retry + ready
    return reader;
  };
  try {
    const first = await open();
    const second = await open();
    const third = await open();
    // The first stream ends (done) while the others keep receiving keep-alives.
    for (;;) {
      const { done } = await first.read();
      if (done) break;
    }
    for (const reader of [second, third]) assert.match((await reader.read()).value ?? '', /keep-alive/);
  } finally {
    for (const controller of controllers) controller.abort();
  }
});

test('closing the server ends the open event streams instead of waiting for them', { timeout: 15_000 }, async () => {
  const own = await startTestServer();
  const user = await createUser(own);
  const response = await fetch(`${own.url}/console/events`, { headers: { authorization: `Bearer ${user.token}` } });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  await reader.read();
  const started = Date.now();
  await own.stop();
  assert.ok(Date.now() - started < 5000, `the server took ${Date.now() - started} ms to close`);
  for (;;) if ((await reader.read()).done) break;
});

test('the server rebuilds a console bundle older than its sources', () => {
  const bundle = ensureConsoleBundle();
  utimesSync(bundle, new Date(0), new Date(0));
  assert.equal(ensureConsoleBundle(), bundle);
  assert.ok(statSync(bundle).mtimeMs > 0, 'rebuilt');
  assert.ok(statSync(bundle).size > 10_000, 'a whole bundle');
});
