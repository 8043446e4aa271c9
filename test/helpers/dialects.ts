// Runs a suite once per storage dialect: a real SQLite file and a real
// PostgreSQL database, each created fresh for the suite.
import { after, before, describe } from 'node:test';
import { rmSync } from 'node:fs';
import { openStore, type Store } from '../../src/store/db.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { tempDir } from './server.ts';

export type StoreRef = { current: Store };

export function describeEachDialect(name: string, body: (store: StoreRef, dialect: 'sqlite' | 'postgres') => void): void {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    describe(`${name} [${dialect}]`, () => {
      const ref = {} as StoreRef;
      let dir = '';
      let pgdb: TestDatabase | undefined;
      before(async () => {
        dir = tempDir();
        if (dialect === 'postgres') pgdb = await createTestDatabase();
        ref.current = await openStore({ database: pgdb?.url ?? 'sqlite', dataDir: dir });
      });
      after(async () => {
        await ref.current?.close();
        await pgdb?.drop();
        rmSync(dir, { recursive: true, force: true });
      });
      body(ref, dialect);
    });
  }
}
