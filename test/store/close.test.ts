// Store.close() leaves nothing running: a test's teardown may drop the
// database right after it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { openStore } from '../../src/store/db.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/server.ts';

test('close() returns once every PostgreSQL connection of the pool has ended', async () => {
  const database = await createTestDatabase();
  const dir = tempDir();
  try {
    const store = await openStore({ database: database.url, dataDir: dir });
    // Ten queries at once open ten connections, which then sit idle in the pool.
    await Promise.all(Array.from({ length: 10 }, () => sql`select pg_sleep(0.05)`.execute(store.db)));
    await store.close();
    // This file holds no other TCP socket: any left is a connection of the store.
    const sockets = process.getActiveResourcesInfo().filter((kind) => kind === 'TCPSocketWrap');
    assert.deepEqual(sockets, [], 'connections still open after close()');
  } finally {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
