import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { migrate } from '../../src/store/db.ts';
import { migrationProvider } from '../../src/store/migrations/index.ts';
import type { AccountKind, TokenKind } from '../../src/store/tables/auth.ts';
import type { Database } from '../../src/store/schema.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/server.ts';

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`migrations [${dialect}]`, () => {
    let db: Kysely<Database>;
    let dir = '';
    let pgdb: TestDatabase | undefined;
    before(async () => {
      dir = tempDir();
      if (dialect === 'postgres') pgdb = await createTestDatabase();
      db = new Kysely<Database>({
        dialect: pgdb ? new PostgresDialect({ pool: new pg.Pool({ connectionString: pgdb.url }) }) : new SqliteDialect({ database: new SQLite(join(dir, 'ocp.sqlite')) }),
      });
    });
    after(async () => {
      await db.destroy();
      await pgdb?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('0004 counts robots that already hold tokens as having had their credentials issued', async () => {
      const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0003_ccs');
      assert.ifError(error);
      const account = (id: string, kind: AccountKind) => ({ id, kind, email: kind === 'user' ? `${id}@example.com` : null, password_hash: null, jid_local: id, created_at: 1 });
      await db.insertInto('accounts').values([account('claimed', 'robot'), account('waiting', 'robot'), account('person', 'user')]).execute();
      const token = (hash: string, accountId: string, kind: TokenKind, createdAt: number) => ({ token_hash: hash, account_id: accountId, kind, client_id: null, family: null, expires_at: null, created_at: createdAt });
      await db.insertInto('tokens').values([token('a', 'claimed', 'refresh', 500), token('b', 'claimed', 'access', 400), token('c', 'waiting', 'code', 300), token('d', 'person', 'refresh', 200)]).execute();
      await migrate(db);
      const issued = Object.fromEntries((await db.selectFrom('accounts').select(['id', 'credentials_issued_at']).execute()).map((row) => [row.id, row.credentials_issued_at]));
      assert.deepEqual(issued, { claimed: 400, waiting: null, person: null });
    });

    test('0005 counts a robot holding a code as having had it handed out then, so getauthcode gives no second one', async () => {
      const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0004_token_grants');
      assert.ifError(error);
      await db.insertInto('tokens').values({ token_hash: 'e', account_id: 'waiting', kind: 'code', client_id: null, family: null, expires_at: 9_999_999_999_999, created_at: 700 }).execute();
      await migrate(db);
      const handedOut = Object.fromEntries((await db.selectFrom('accounts').select(['id', 'code_issued_at']).execute()).map((row) => [row.id, row.code_issued_at === null ? null : Number(row.code_issued_at)]));
      assert.deepEqual(handedOut, { claimed: null, waiting: 700, person: null });
    });

    test('0008 makes the used refresh tokens of robots valid again, and leaves people\'s used', async () => {
      const { error } = await new Migrator({ db, provider: migrationProvider }).migrateTo('0007_device_codes');
      assert.ifError(error);
      const used = (hash: string, accountId: string) => ({ token_hash: hash, account_id: accountId, kind: 'used_refresh' as const, client_id: null, family: 'f', expires_at: 9_000, created_at: 800 });
      await db.insertInto('tokens').values([used('robot-used', 'claimed'), used('person-used', 'person')]).execute();
      await migrate(db);
      const rows = Object.fromEntries((await db.selectFrom('tokens').select(['token_hash', 'kind', 'expires_at']).where('token_hash', 'in', ['robot-used', 'person-used']).execute()).map((row) => [row.token_hash, [row.kind, row.expires_at === null ? null : Number(row.expires_at)]]));
      assert.deepEqual(rows, { 'robot-used': ['refresh', null], 'person-used': ['used_refresh', 9_000] });
    });
  });
}
