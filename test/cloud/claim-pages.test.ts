// The claim web page (invite_url / complete_invite_url) and the printable
// token page: a user signs in with email and password and claims the printer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { createUser, registerPrinter, type TestUser } from '../helpers/cloud.ts';

let server: TestServer;
let owner: TestUser;

before(async () => {
  server = await startTestServer();
  owner = await createUser(server);
});
after(() => server.stop());

const claim = (fields: Record<string, string>) => fetch(`${server.url}/cloudprint/claimprinter.html`, { method: 'POST', body: new URLSearchParams(fields) });

test('complete_invite_url shows a sign-in form with the token filled in', async () => {
  const { body } = await registerPrinter(server, { name: 'Front <desk>' });
  const page = await fetch(body.complete_invite_url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const html = await page.text();
  assert.match(html, new RegExp(`name="token" value="${body.registration_token}"`));
  assert.match(html, /type="password"/);
  const tokenPage = await (await fetch(body.invite_page_url)).text();
  assert.match(tokenPage, new RegExp(`class="token">${body.registration_token}<`));
});

test('a wrong password claims nothing; the right one claims, and getauthcode then succeeds', async () => {
  const { body } = await registerPrinter(server, { name: 'Front <desk>' });
  const wrong = await claim({ token: body.registration_token, email: owner.email, password: 'not it at all' });
  assert.equal(wrong.status, 401);
  assert.equal((await (await fetch(body.polling_url)).json()).success, false);
  const right = await claim({ token: body.registration_token.toLowerCase(), email: owner.email, password: owner.password });
  assert.equal(right.status, 200);
  const html = await right.text();
  assert.match(html, /Front &#60;desk&#62;/, 'names are escaped');
  const auth = await (await fetch(body.polling_url)).json();
  assert.equal(auth.success, true);
  assert.equal(auth.user_email, owner.email);
  const again = await claim({ token: body.registration_token, email: owner.email, password: owner.password });
  assert.equal(again.status, 404);
  assert.match(await again.text(), /unknown or has expired/);
});

test('fields that are not text (a JSON number, a repeated query field) count as absent, not as a server error', async () => {
  const { body } = await registerPrinter(server);
  const numeric = await fetch(`${server.url}/cloudprint/claimprinter.html`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: body.registration_token, email: 1, password: owner.password }),
  });
  assert.equal(numeric.status, 401);
  const repeated = await fetch(`${server.url}/cloudprint/claimprinter.html?token=A&token=B`);
  assert.equal(repeated.status, 200);
  assert.match(await repeated.text(), /name="token" value=""/);
});
