// The `database` document store (--documents database, PostgreSQL only):
// every node of a cluster reads the documents any node stored, with no
// shared file system. A document is a row of `documents` and its bytes rows
// of `document_chunks` of CHUNK_BYTES each (migration 0012_documents).
//
// Why rows and not PostgreSQL large objects: a large object is read and
// written through a descriptor that lives only inside a transaction, so a
// download would hold a pooled connection (and a transaction) for as long
// as its client takes to read it: ten slow printers would block a node's
// whole pool. Each chunk here is one short query on any pooled connection.
// Rows also go with their document (ON DELETE CASCADE; a large object must
// be unlinked, or it leaks until vacuumlo), are copied by pg_dump with
// everything else, and need nothing beyond the pg driver.
//
// Streamed both ways with backpressure: an upload writes each chunk as it
// fills and reads no more of the request until the row is in; a download
// is a Readable that fetches the next chunk only when its reader has taken
// the last. At most a chunk or two of a document is in memory at once.
//
// Commit and discard as the directory backend: an upload is a `documents`
// row without a name until commit() names it; discard or a failed upload
// deletes it. The start-up clean-up (removeUnfinished, settled) spares rows
// written in the last SHARED_SETTLE_MS, since another node may be writing
// them or about to commit the job that refers to them: every chunk written
// moves the row's updated_at.
//
// The conversion tools read and write files: localCopy() writes a document
// to this node's DATA/documents/.incoming, adopt() stores a tool's output
// back and removes the file.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql } from 'kysely';
import { PRIVATE_FILE_MODE } from '../../files/private.ts';
import type { Db } from '../../store/db.ts';
import { checkDocumentName, DocumentStore, SHARED_SETTLE_MS, type LocalDocument, type OpenedDocument, type ReceivedDocument } from '../documents.ts';
import { LocalScratch } from './scratch.ts';

/**
 * Bytes per chunk row. PostgreSQL stores each out of line in ~2 KB TOAST
 * pieces whatever the size; 256 KiB keeps a download's memory small (the
 * driver reads bytea as hex text, twice the size, before decoding it) while
 * a 20 MiB document is 80 round trips (docs/performance.md).
 */
export const CHUNK_BYTES = 256 * 1024;

/** A committed document's chunks, fetched one at a time as its reader takes them. */
class ChunkStream extends Readable {
  private next = 0;

  constructor(
    private readonly db: Db,
    private readonly id: string,
    private readonly chunks: number,
  ) {
    super();
  }

  override _read(): void {
    if (this.next === this.chunks) {
      this.push(null);
      return;
    }
    const seq = this.next++;
    this.db
      .selectFrom('document_chunks')
      .select('data')
      .where('document_id', '=', this.id)
      .where('seq', '=', seq)
      .executeTakeFirst()
      .then(
        (row) => {
          if (row) this.push(row.data);
          else this.destroy(new Error(`chunk ${seq} of document ${this.id} is gone: the document was removed while being read`));
        },
        (error: Error) => this.destroy(error),
      );
  }
}

export class DatabaseDocuments extends DocumentStore {
  private readonly scratch: LocalScratch;

  constructor(
    private readonly db: Db,
    /** This node's own DATA/documents, for the conversion tools' files. */
    readonly dir: string,
    private readonly settleMs = SHARED_SETTLE_MS,
  ) {
    super();
    this.scratch = new LocalScratch(dir);
  }

  scratchDir(): string {
    return this.scratch.conversionDir();
  }

  tempFile(): string {
    return this.scratch.tempFile();
  }

  async removeUnfinished(): Promise<void> {
    // The local directory is this node's alone (its data directory is locked).
    this.scratch.clear(0);
    await this.db.deleteFrom('documents').where('name', 'is', null).where('updated_at', '<', Date.now() - this.settleMs).execute();
  }

  async receive(source: Readable): Promise<ReceivedDocument> {
    const id = randomUUID();
    await this.db.insertInto('documents').values({ id, name: null, size: 0, chunks: 0, updated_at: Date.now() }).execute();
    const hash = createHash('sha256');
    let size = 0;
    let seq = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    try {
      for await (const piece of source as AsyncIterable<Buffer>) {
        size += piece.length;
        hash.update(piece);
        let rest = piece;
        while (pendingBytes + rest.length >= CHUNK_BYTES) {
          const take = CHUNK_BYTES - pendingBytes;
          pending.push(rest.subarray(0, take));
          rest = rest.subarray(take);
          await this.writeChunk(id, seq++, Buffer.concat(pending, CHUNK_BYTES));
          pending = [];
          pendingBytes = 0;
        }
        if (rest.length) {
          pending.push(rest);
          pendingBytes += rest.length;
        }
      }
      if (pendingBytes) await this.writeChunk(id, seq++, Buffer.concat(pending, pendingBytes));
      await this.db.updateTable('documents').set({ size, chunks: seq, updated_at: Date.now() }).where('id', '=', id).execute();
    } catch (error) {
      // With the database gone too, the start-up clean-up of a later start removes it.
      await this.db.deleteFrom('documents').where('id', '=', id).execute().catch(() => {});
      throw error;
    }
    return { pending: id, size, sha256: hash.digest('hex') };
  }

  /** One chunk, and the upload marked alive, in one statement. */
  private async writeChunk(id: string, seq: number, data: Buffer): Promise<void> {
    await sql`with alive as (update documents set updated_at = ${Date.now()} where id = ${id})
      insert into document_chunks (document_id, seq, data) values (${id}, ${seq}, ${data})`.execute(this.db);
  }

  async adopt(tempPath: string): Promise<ReceivedDocument> {
    try {
      return await this.receive(createReadStream(tempPath));
    } finally {
      await rm(tempPath, { force: true });
    }
  }

  async commit(document: ReceivedDocument, name: string): Promise<void> {
    checkDocumentName(name);
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('documents').where('name', '=', name).execute();
      const named = await trx.updateTable('documents').set({ name, updated_at: Date.now() }).where('id', '=', document.pending).where('name', 'is', null).executeTakeFirst();
      if (Number(named.numUpdatedRows) !== 1) throw new Error(`the upload of document ${name} is gone`);
    });
    document.committed = true;
  }

  protected async drop(document: ReceivedDocument): Promise<void> {
    await this.db.deleteFrom('documents').where('id', '=', document.pending).where('name', 'is', null).execute();
  }

  async open(name: string): Promise<OpenedDocument | undefined> {
    checkDocumentName(name);
    const row = await this.db.selectFrom('documents').select(['id', 'size', 'chunks']).where('name', '=', name).executeTakeFirst();
    return row && { size: Number(row.size), stream: new ChunkStream(this.db, row.id, row.chunks) };
  }

  async localCopy(name: string): Promise<LocalDocument | undefined> {
    const opened = await this.open(name);
    if (!opened) return undefined;
    const path = this.scratch.tempFile();
    const release = () => rm(path, { force: true });
    try {
      await pipeline(opened.stream, createWriteStream(path, { flags: 'wx', mode: PRIVATE_FILE_MODE }));
    } catch (error) {
      await release();
      throw error;
    }
    return { path, release };
  }

  async remove(name: string): Promise<void> {
    checkDocumentName(name);
    await this.db.deleteFrom('documents').where('name', '=', name).execute();
  }

  async settled(): Promise<string[]> {
    const rows = await this.db.selectFrom('documents').select('name').where('name', 'is not', null).where('updated_at', '<', Date.now() - this.settleMs).execute();
    return rows.map((row) => row.name!);
  }
}
