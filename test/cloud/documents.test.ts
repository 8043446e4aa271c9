// The document store on its own: small documents (one write), large ones
// (streamed in batches), and a source that fails midway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DocumentStore, SHARED_SETTLE_MS } from '../../src/cloud/documents.ts';
import { tempDir } from '../helpers/server.ts';

function chunksOf(content: Buffer, size: number): Buffer[] {
  const chunks = [];
  for (let at = 0; at < content.length; at += size) chunks.push(content.subarray(at, at + size));
  return chunks;
}

for (const fsync of [false, true]) {
  test(`documents of 5 bytes, 100 KiB and 3.5 MiB are stored byte for byte with their size and SHA-256 (fsync ${fsync})`, async () => {
    const dir = tempDir();
    try {
      const store = new DocumentStore(dir, fsync);
      for (const size of [5, 100 * 1024, 3.5 * 1024 * 1024]) {
        const content = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31) % 251));
        const received = await store.receive(Readable.from(chunksOf(content, 64 * 1024)));
        assert.equal(received.size, size);
        assert.equal(received.sha256, createHash('sha256').update(content).digest('hex'));
        await store.commit(received, `doc-${size}`);
        assert.ok(readFileSync(join(dir, `doc-${size}`)).equals(content));
        // Discarding a committed document leaves it in place.
        await store.discard(received);
        assert.ok(readdirSync(dir).includes(`doc-${size}`));
      }
      assert.deepEqual(readdirSync(join(dir, '.incoming')), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a source that fails after 2 MiB leaves no temporary file behind', async () => {
  const dir = tempDir();
  try {
    const store = new DocumentStore(dir, false);
    async function* failing() {
      for (let i = 0; i < 32; i++) yield Buffer.alloc(64 * 1024, i);
      throw new Error('connection reset');
    }
    await assert.rejects(store.receive(Readable.from(failing())), /connection reset/);
    assert.deepEqual(readdirSync(join(dir, '.incoming')), []);
    assert.deepEqual(readdirSync(dir), ['.incoming']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('in a directory nodes share, start-up removes unfinished uploads and lists orphans only once ten minutes old', () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, '.incoming'));
    const old = new Date(Date.now() - SHARED_SETTLE_MS - 60_000);
    for (const name of ['.incoming/dead-upload', 'old-orphan']) {
      writeFileSync(join(dir, name), 'left by a crash');
      utimesSync(join(dir, name), old, old);
    }
    // As another node may have them right now.
    for (const name of ['.incoming/upload-in-flight', 'about-to-commit']) writeFileSync(join(dir, name), 'being written');
    const shared = new DocumentStore(dir, false, SHARED_SETTLE_MS);
    assert.deepEqual(readdirSync(join(dir, '.incoming')), ['upload-in-flight']);
    assert.deepEqual(shared.settled(), ['old-orphan']);
    const own = new DocumentStore(dir, false);
    assert.deepEqual(readdirSync(join(dir, '.incoming')), [], 'a directory of its own is cleared at once');
    assert.deepEqual(own.settled().sort(), ['about-to-commit', 'old-orphan']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('commitFor keeps the document when its record commits, and leaves nothing when the record or the commit fails', async () => {
  const dir = tempDir();
  try {
    const store = new DocumentStore(dir, false);
    const kept = await store.receive(Readable.from([Buffer.from('kept')]));
    assert.equal(await store.commitFor(kept, 'job-1', async () => 'row'), 'row');
    assert.equal(readFileSync(join(dir, 'job-1'), 'utf8'), 'kept');

    // The job row fails (a printer deleted meanwhile): the document it would refer to goes again.
    const refused = await store.receive(Readable.from([Buffer.from('refused')]));
    await assert.rejects(store.commitFor(refused, 'job-2', async () => Promise.reject(new Error('foreign key'))), /foreign key/);
    // The rename fails (a bad name): the temporary file goes, and the record never runs.
    const misnamed = await store.receive(Readable.from([Buffer.from('misnamed')]));
    let recorded = false;
    await assert.rejects(store.commitFor(misnamed, '../escape', async () => (recorded = true)), /bad document name/);
    assert.equal(recorded, false);
    assert.deepEqual(readdirSync(dir).sort(), ['.incoming', 'job-1']);
    assert.deepEqual(readdirSync(join(dir, '.incoming')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
