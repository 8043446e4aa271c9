import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { startCheckpointer } from '../../src/store/checkpointer.ts';
import { tempDir } from '../helpers/server.ts';

/** A WAL database with ~4 MB committed: more than SQLite's default automatic checkpoint (1000 pages). */
function databaseWithCommittedWal(): { sqlite: SQLite.Database; file: string; dir: string; write: () => void } {
  const dir = tempDir();
  const file = join(dir, 'test.sqlite');
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.exec('create table filler (data blob)');
  const insert = sqlite.prepare('insert into filler (data) values (?)');
  const row = Buffer.alloc(4096, 7);
  const write = sqlite.transaction(() => {
    for (let i = 0; i < 1000; i++) insert.run(row);
  });
  return { sqlite, file, dir, write };
}

test('with the checkpointer, a commit leaves its pages in the WAL: the writer does not checkpoint them itself', async () => {
  const { sqlite, file, dir, write } = databaseWithCommittedWal();
  const checkpointer = startCheckpointer(sqlite, file, 3_600_000);
  try {
    const before = statSync(file).size;
    write();
    assert.ok(statSync(`${file}-wal`).size > 4_000_000);
    assert.ok(statSync(file).size < before + 1_000_000, 'no synchronous checkpoint in the commit');
  } finally {
    await checkpointer.stop();
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the worker thread checkpoints committed pages into the database file', async () => {
  const { sqlite, file, dir, write } = databaseWithCommittedWal();
  const checkpointer = startCheckpointer(sqlite, file, 100);
  try {
    const before = statSync(file).size;
    write();
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < before + 4_000_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(statSync(file).size >= before + 4_000_000);
  } finally {
    await checkpointer.stop();
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
