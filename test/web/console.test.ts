import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
before(async () => (server = await startTestServer()));
after(() => server.stop());

test('/ redirects to the console, whose page, script and style are served with safe headers', async () => {
  const root = await fetch(`${server.url}/`, { redirect: 'manual' });
  assert.equal(root.status, 302);
  assert.equal(root.headers.get('location'), '/console/');
  const page = await fetch(`${server.url}/console/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const html = await page.text();
  for (const asset of html.matchAll(/(?:src|href)="(\/console\/[^"]+)"/g)) {
    const response = await fetch(`${server.url}${asset[1]}`);
    assert.equal(response.status, 200, `${asset[1]} is served`);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  }
});
