// No reply carries a database or internal error message: an internal error is
// a 500 with a generic body, and its detail goes to the server's log.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { pino } from 'pino';
import { defaultServerConfig } from '../../src/config.ts';
import { startServer, type RunningServer } from '../../src/server/index.ts';
import { oauthToken } from '../helpers/cloud.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/server.ts';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`internal errors [${dialect}]`, () => {
    let server: RunningServer & { url: string; dataDir: string };
    let pgdb: TestDatabase | undefined;
    const user = { email: `internal-${dialect}@example.com`, password: 'correct horse battery', token: '' };
    const logged: string[] = [];

    before(async () => {
      if (dialect === 'postgres') pgdb = await createTestDatabase();
      const dataDir = tempDir();
      const config = defaultServerConfig({ dataDir, database: pgdb?.url ?? 'sqlite', host: '127.0.0.1', httpPort: 0, xmppPort: -1, xmppsPort: -1, ccsPort: -1 });
      const log = pino({ level: 'error' }, new Writable({ write: (chunk, _encoding, done) => (logged.push(String(chunk)), done()) }));
      const running = await startServer(config, log);
      server = { ...running, url: running.context.publicUrl, dataDir };
      await running.context.accounts.createUser(user.email, user.password);
      user.token = (await oauthToken(server, { grant_type: 'password', username: user.email, password: user.password })).body.access_token;
      // The forced internal error: the accounts table is gone, so every sign-in query fails in the database.
      await sql`ALTER TABLE accounts RENAME TO accounts_gone`.execute(server.context.store.db);
    });
    after(async () => {
      await server.close();
      await pgdb?.drop();
      rmSync(server.dataDir, { recursive: true, force: true });
    });

    test('/oauth2/token answers a generic 500 and logs the database error', async () => {
      const reply = await oauthToken(server, { grant_type: 'password', username: user.email, password: user.password });
      assert.equal(reply.status, 500);
      assert.deepEqual(reply.body, { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
      assert.ok(logged.some((line) => /accounts/.test(line) && /internal error/.test(line)), 'the detail is in the server log');
    });

    test('/cloudprint answers a generic 500 in its envelope', async () => {
      const response = await fetch(`${server.url}/cloudprint/search`, { headers: { authorization: `Bearer ${user.token}` } });
      const text = await response.text();
      assert.equal(response.status, 500);
      assert.doesNotMatch(text, /accounts|relation|no such table|SQLITE|select/i);
      assert.equal(JSON.parse(text).message, 'Internal server error');
    });
  });
}
