// The document store's contract, held by both backends (directory: files
// under DATA/documents; database: chunks in a real PostgreSQL): documents
// byte for byte, commit and discard, open and remove, copies for the
// conversion tools, a source that fails midway, and the start-up clean-up
// that spares what another node may be writing. Then what only the
// database backend has to show: chunks written as an upload arrives, and a
// download that fetches a chunk only when its reader took the last.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { SHARED_SETTLE_MS, type DocumentStore } from '../../src/cloud/documents.ts';
import { CHUNK_BYTES, DatabaseDocuments } from '../../src/cloud/documents/database.ts';
import { DirectoryDocuments } from '../../src/cloud/documents/directory.ts';
import { openStore, type Store } from '../../src/store/db.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { tempDir } from '../helpers/server.ts';
import { waitFor } from '../helpers/wait.ts';

/** A store on a fresh PostgreSQL database and data directory, for the enclosing describe block. */
function postgresStore(): { readonly store: Store; readonly dir: string } {
  let dir = '';
  let database: TestDatabase;
  let store: Store;
  before(async () => {
    dir = tempDir();
    database = await createTestDatabase();
    store = await openStore({ database: database.url, dataDir: dir });
  });
  after(async () => {
    await store.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get store() {
      return store;
    },
    get dir() {
      return dir;
    },
  };
}


function chunksOf(content: Buffer, size: number): Buffer[] {
  const chunks = [];
  for (let at = 0; at < content.length; at += size) chunks.push(content.subarray(at, at + size));
  return chunks;
}

function patterned(size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (i * 31) % 251));
}

async function contentOf(store: DocumentStore, name: string): Promise<Buffer | undefined> {
  const opened = await store.open(name);
  return opened && buffer(opened.stream);
}

/** A backend under test: a fresh store, and what it holds seen from outside it. */
interface Backend {
  name: 'directory' | 'database';
  /** A store over the same place as every other this backend made (as another node's). */
  store(settleMs?: number): DocumentStore;
  /** Names of the committed documents. */
  committed(): Promise<string[]>;
  /** Uploads not committed (temporary files, or unnamed rows with their chunks). */
  uploads(): Promise<number>;
  /** Makes what `name` denotes look written `ageMs` ago: a committed document, or with `upload` an upload. */
  age(name: string, ageMs: number, upload?: boolean): Promise<void>;
}

function describeBackends(body: (backend: Backend) => void): void {
  describe('directory backend', () => {
    let dir = '';
    before(() => void (dir = tempDir()));
    after(() => rmSync(dir, { recursive: true, force: true }));
    body({
      name: 'directory',
      store: (settleMs = 0) => new DirectoryDocuments(dir, false, settleMs),
      committed: async () => readdirSync(dir).filter((name) => !name.startsWith('.')).sort(),
      uploads: async () => readdirSync(join(dir, '.incoming')).length,
      async age(name, ageMs, upload) {
        const path = upload ? join(dir, '.incoming', name) : join(dir, name);
        if (upload) writeFileSync(path, 'left by a crash');
        const then = new Date(Date.now() - ageMs);
        utimesSync(path, then, then);
      },
    });
  });
  describe('database backend', () => {
    const pg = postgresStore();
    body({
      name: 'database',
      store: (settleMs = 0) => new DatabaseDocuments(pg.store.db, join(pg.dir, 'documents'), settleMs),
      committed: async () => (await pg.store.db.selectFrom('documents').select('name').where('name', 'is not', null).orderBy('name').execute()).map((row) => row.name!),
      async uploads() {
        const rows = await pg.store.db.selectFrom('documents').select('id').where('name', 'is', null).execute();
        const chunks = await pg.store.db.selectFrom('document_chunks').innerJoin('documents', 'documents.id', 'document_chunks.document_id').select('seq').where('documents.name', 'is', null).execute();
        return rows.length + chunks.length + readdirSync(join(pg.dir, 'documents', '.incoming')).length;
      },
      async age(name, ageMs, upload) {
        if (upload) await pg.store.db.insertInto('documents').values({ id: name, name: null, size: 0, chunks: 0, updated_at: Date.now() - ageMs }).execute();
        else await pg.store.db.updateTable('documents').set({ updated_at: Date.now() - ageMs }).where('name', '=', name).execute();
      },
    });
  });
}

describeBackends((backend) => {
  test(`documents of 0 bytes, 5 bytes, 100 KiB and 3.5 MiB are stored byte for byte with their size and SHA-256 (${backend.name})`, async () => {
    const store = backend.store();
    for (const size of [0, 5, 100 * 1024, 3.5 * 1024 * 1024]) {
      const content = patterned(size);
      const received = await store.receive(Readable.from(chunksOf(content, 64 * 1024)));
      assert.equal(received.size, size);
      assert.equal(received.sha256, createHash('sha256').update(content).digest('hex'));
      assert.equal(await store.open(`doc-${size}`), undefined, 'not visible before commit');
      await store.commit(received, `doc-${size}`);
      const opened = await store.open(`doc-${size}`);
      assert.equal(opened?.size, size);
      assert.ok((await buffer(opened!.stream)).equals(content));
      // Discarding a committed document leaves it in place.
      await store.discard(received);
      assert.ok((await backend.committed()).includes(`doc-${size}`));
    }
    assert.equal(await backend.uploads(), 0);
    for (const size of [0, 5, 100 * 1024, 3.5 * 1024 * 1024]) await store.remove(`doc-${size}`);
    assert.deepEqual(await backend.committed(), []);
  });

  test(`a discarded upload leaves nothing, a removed document cannot be opened, and a second commit of a name replaces the first (${backend.name})`, async () => {
    const store = backend.store();
    await store.discard(await store.receive(Readable.from([Buffer.from('never mind')])));
    assert.equal(await backend.uploads(), 0);
    await store.commit(await store.receive(Readable.from([Buffer.from('first')])), 'replaced');
    await store.commit(await store.receive(Readable.from([Buffer.from('second')])), 'replaced');
    assert.equal((await contentOf(store, 'replaced'))?.toString(), 'second');
    await store.remove('replaced');
    assert.equal(await store.open('replaced'), undefined);
    assert.equal(await store.localCopy('replaced'), undefined);
    await store.remove('never-there');
    assert.deepEqual(await backend.committed(), []);
  });

  test(`a source that fails after 2 MiB leaves nothing behind (${backend.name})`, async () => {
    const store = backend.store();
    async function* failing() {
      for (let i = 0; i < 32; i++) yield Buffer.alloc(64 * 1024, i);
      throw new Error('connection reset');
    }
    await assert.rejects(store.receive(Readable.from(failing())), /connection reset/);
    assert.equal(await backend.uploads(), 0);
    assert.deepEqual(await backend.committed(), []);
  });

  test(`commitFor keeps the document when its record commits, and leaves nothing when the record or the commit fails (${backend.name})`, async () => {
    const store = backend.store();
    const kept = await store.receive(Readable.from([Buffer.from('kept')]));
    assert.equal(await store.commitFor(kept, 'job-1', async () => 'row'), 'row');
    assert.equal((await contentOf(store, 'job-1'))?.toString(), 'kept');
    // The job row fails (a printer deleted meanwhile): the document it would refer to goes again.
    const refused = await store.receive(Readable.from([Buffer.from('refused')]));
    await assert.rejects(store.commitFor(refused, 'job-2', async () => Promise.reject(new Error('foreign key'))), /foreign key/);
    // The commit fails (a bad name): the upload goes, and the record never runs.
    const misnamed = await store.receive(Readable.from([Buffer.from('misnamed')]));
    let recorded = false;
    await assert.rejects(store.commitFor(misnamed, '../escape', async () => (recorded = true)), /bad document name/);
    assert.equal(recorded, false);
    assert.deepEqual(await backend.committed(), ['job-1']);
    assert.equal(await backend.uploads(), 0);
    await store.remove('job-1');
  });

  test(`the conversion tools get a document as a file of this node and give their output back (${backend.name})`, async () => {
    const store = backend.store();
    const content = patterned(700 * 1024);
    await store.commit(await store.receive(Readable.from([content])), 'source');
    const copy = await store.localCopy('source');
    assert.ok(copy && readFileSync(copy.path).equals(content));
    const output = store.tempFile();
    writeFileSync(output, 'converted');
    await copy.release();
    const converted = await store.adopt(output);
    assert.equal(converted.size, 9);
    await store.commit(converted, 'source-converted');
    assert.equal((await contentOf(store, 'source-converted'))?.toString(), 'converted');
    assert.ok((await contentOf(store, 'source'))?.equals(content), 'releasing the copy leaves the document');
    assert.equal(await backend.uploads(), 0, 'no copy or output file stays behind');
    await store.remove('source');
    await store.remove('source-converted');
  });

  test(`start-up removes dead uploads and lists orphans, sparing for ten minutes what another node may be writing where nodes share the store (${backend.name})`, async () => {
    const writer = backend.store();
    const old = SHARED_SETTLE_MS + 60_000;
    await backend.age('dead-upload', old, true);
    for (const name of ['old-orphan', 'about-to-commit']) await writer.commit(await writer.receive(Readable.from([Buffer.from(name)])), name);
    await backend.age('old-orphan', old);
    // An upload in flight on another node, half-written.
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    async function* inFlight() {
      yield patterned(1024 * 1024 + 10);
      await finished;
      yield Buffer.from('end');
    }
    const uploading = writer.receive(Readable.from(inFlight()));
    // Written so far: a file (directory), or the row and its first 4 chunks (database); besides the dead upload.
    const written = backend.name === 'directory' ? 2 : 6;
    await waitFor('the upload in flight to be written', async () => (await backend.uploads()) >= written || undefined);

    const shared = backend.store(SHARED_SETTLE_MS);
    await shared.removeUnfinished();
    assert.deepEqual(await shared.settled(), ['old-orphan']);
    finish();
    const survived = await uploading;
    await writer.commit(survived, 'survived');
    assert.equal((await contentOf(writer, 'survived'))?.length, 1024 * 1024 + 13);
    assert.equal(await backend.uploads(), 0, 'the dead upload is gone');

    if (backend.name === 'directory') {
      // A directory of one server's own is cleared at once: an upload a second old goes too.
      await backend.age('young-upload', 1000, true);
      const own = backend.store();
      await own.removeUnfinished();
      assert.equal(await backend.uploads(), 0);
      assert.deepEqual((await own.settled()).sort(), ['about-to-commit', 'old-orphan', 'survived']);
    }
    for (const name of ['old-orphan', 'about-to-commit', 'survived']) await writer.remove(name);
  });
});

describe('database backend, streaming', () => {
  const pg = postgresStore();
  const chunkRows = async () => (await pg.store.db.selectFrom('document_chunks').select('seq').execute()).length;

  test('an 8 MiB upload is in the database chunk by chunk as it arrives, and a slow reader holds at most one chunk at a time', async () => {
    const documents = new DatabaseDocuments(pg.store.db, join(pg.dir, 'documents'));
    const content = patterned(8 * 1024 * 1024);
    const pieces = chunksOf(content, 64 * 1024);
    async function* arriving() {
      for (let i = 0; i < pieces.length; i++) {
        yield pieces[i]!;
        // Half-way, the first half is stored before the second arrives.
        if (i === pieces.length / 2 - 1) await waitFor('the first 4 MiB in chunk rows', async () => (await chunkRows()) === (4 * 1024 * 1024) / CHUNK_BYTES || undefined, 10_000, 10);
      }
    }
    const received = await documents.receive(Readable.from(arriving()));
    await documents.commit(received, 'large');
    assert.equal(await chunkRows(), content.length / CHUNK_BYTES);

    const opened = await documents.open('large');
    let most = 0;
    let pieceCount = 0;
    const read: Buffer[] = [];
    for await (const piece of opened!.stream as AsyncIterable<Buffer>) {
      pieceCount++;
      read.push(piece);
      // A reader slower than the database: without backpressure the stream would buffer ahead.
      await sleep(5);
      most = Math.max(most, opened!.stream.readableLength);
    }
    assert.ok(Buffer.concat(read).equals(content));
    assert.equal(pieceCount, content.length / CHUNK_BYTES, 'one piece per chunk row');
    assert.ok(most <= CHUNK_BYTES, `at most one chunk buffered ahead, saw ${most} bytes`);
    await documents.remove('large');
    assert.equal(await chunkRows(), 0, 'the chunks go with their document');
  });

  test('a document removed while it is read ends its stream with an error, not with a short document', async () => {
    const documents = new DatabaseDocuments(pg.store.db, join(pg.dir, 'documents'));
    await documents.commit(await documents.receive(Readable.from([patterned(4 * CHUNK_BYTES)])), 'deleted');
    const opened = await documents.open('deleted');
    const reading = (async () => {
      for await (const _ of opened!.stream as AsyncIterable<Buffer>) await documents.remove('deleted');
    })();
    await assert.rejects(reading, /is gone: the document was removed while being read/);
  });
});

test('with --sync full the directory backend stores a 3.5 MiB document byte for byte too', async () => {
  const dir = tempDir();
  try {
    const store = new DirectoryDocuments(dir, true);
    const content = patterned(3.5 * 1024 * 1024);
    await store.commit(await store.receive(Readable.from(chunksOf(content, 64 * 1024))), 'synced');
    assert.ok(readFileSync(join(dir, 'synced')).equals(content));
    assert.deepEqual(readdirSync(join(dir, '.incoming')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
