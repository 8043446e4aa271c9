// The data directory is private: created 0700 with its files 0600 (the
// database and its -wal/-shm, print documents, ports.json), and an existing
// directory that other users can read is tightened at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createUser, registerAndClaim, submitJob } from '../helpers/cloud.ts';
import { startTestServer, tempDir } from '../helpers/server.ts';

// The usual umask, under which files are created 0644 in 0755 directories unless asked otherwise.
process.umask(0o022);

const modeOf = (path: string) => (statSync(path).mode & 0o777).toString(8);

test('a new data directory is 0700 and the database, its WAL files, documents and ports.json are 0600', async () => {
  const parent = tempDir();
  const dataDir = join(parent, 'data');
  const server = await startTestServer({ dataDir });
  try {
    const owner = await createUser(server);
    const printer = await registerAndClaim(server, owner);
    assert.equal((await submitJob(server, owner.token, printer.printerId, { content: 'a private document' })).body.success, true);
    assert.equal(modeOf(dataDir), '700');
    for (const name of ['ocp.sqlite', 'ocp.sqlite-wal', 'ocp.sqlite-shm', 'ports.json']) assert.equal(modeOf(join(dataDir, name)), '600', name);
    const documents = join(dataDir, 'documents');
    assert.equal(modeOf(documents), '700');
    assert.equal(modeOf(join(documents, '.incoming')), '700');
    const stored = readdirSync(documents).filter((name) => name !== '.incoming');
    assert.equal(stored.length, 1);
    assert.equal(modeOf(join(documents, stored[0]!)), '600');
    assert.equal(modeOf(join(dataDir, 'tls')), '700');
  } finally {
    await server.stop();
    rmSync(parent, { recursive: true, force: true });
  }
});

test('an existing data directory readable by others is tightened at start', async () => {
  const dataDir = tempDir();
  chmodSync(dataDir, 0o755);
  mkdirSync(join(dataDir, 'documents'), { mode: 0o755 });
  writeFileSync(join(dataDir, 'ocp.sqlite'), '', { mode: 0o644 });
  chmodSync(join(dataDir, 'ocp.sqlite'), 0o644);
  const server = await startTestServer({ dataDir });
  try {
    assert.equal(modeOf(dataDir), '700');
    assert.equal(modeOf(join(dataDir, 'documents')), '700');
    assert.equal(modeOf(join(dataDir, 'ocp.sqlite')), '600');
    assert.equal(modeOf(join(dataDir, 'ocp.sqlite-wal')), '600');
  } finally {
    await server.stop();
  }
});
