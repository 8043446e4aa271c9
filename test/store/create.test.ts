import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { NoDatabaseError, openStore } from '../../src/store/db.ts';
import { tempDir } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

test('create: false refuses a data directory without a SQLite database and makes no file', async () => {
  const dataDir = tempDir();
  try {
    await assert.rejects(openStore({ database: 'sqlite', dataDir, create: false }), NoDatabaseError);
    assert.equal(existsSync(join(dataDir, 'ocp.sqlite')), false);
    await (await openStore({ database: 'sqlite', dataDir })).close();
    await (await openStore({ database: 'sqlite', dataDir, create: false })).close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('create: false refuses a PostgreSQL database no server has set up, and opens one that was', async () => {
  const database = await createTestDatabase();
  try {
    await assert.rejects(openStore({ database: database.url, dataDir: '', create: false }), (error: Error) => error instanceof NoDatabaseError && /has no migrations table/.test(error.message));
    await (await openStore({ database: database.url, dataDir: '' })).close();
    const store = await openStore({ database: database.url, dataDir: '', create: false });
    await store.close();
  } finally {
    await database.drop();
  }
});

test('a database migrated by a newer version is refused with a message saying so', async () => {
  const dataDir = tempDir();
  try {
    const store = await openStore({ database: 'sqlite', dataDir });
    await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2030-01-01T00:00:00.000Z')`.execute(store.db);
    await store.close();
    await assert.rejects(openStore({ database: 'sqlite', dataDir }), /the database was migrated by a newer version of ocp \(9999_from_the_future\): run that version, or restore/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
