// The `directory` document store (--documents directory, the default): print
// documents are files under DATA/documents, one per job, named by job id. A
// document is streamed to a temporary file first and renamed into place only
// when its job is committed, so a failed or truncated upload never leaves a
// half-written document behind. With --sync full the file and the directory
// are fsynced before the job is acknowledged; with --sync normal the page
// cache carries it through a process crash, like SQLite's WAL does. Nodes of
// a cluster may share the directory (a network file system mounted there):
// then the start-up clean-ups spare young files (SHARED_SETTLE_MS).
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, open as openFd, writeFileSync } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PRIVATE_FILE_MODE } from '../../files/private.ts';
import { checkDocumentName, DocumentStore, type LocalDocument, type OpenedDocument, type ReceivedDocument } from '../documents.ts';
import { LocalScratch, settledFiles } from './scratch.ts';

/**
 * A document up to this size is written with one call, into a file created
 * on the thread pool: creating it (inode and directory updates) is what
 * costs, 0.03–0.4 ms on ext4, and the event loop serves other requests
 * meanwhile (docs/performance.md has the measurements).
 */
const SMALL_DOCUMENT_BYTES = 64 * 1024;
/** Larger documents are written in batches of this size as they arrive, so memory stays bounded. */
const WRITE_BATCH_BYTES = 1024 * 1024;

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A new file's descriptor, created on the thread pool; fails if the path exists. */
function openForWriting(path: string): Promise<number> {
  return new Promise((resolve, reject) => openFd(path, 'wx', PRIVATE_FILE_MODE, (error, fd) => (error ? reject(error) : resolve(fd))));
}

export class DirectoryDocuments extends DocumentStore {
  private readonly scratch: LocalScratch;

  constructor(
    readonly dir: string,
    private readonly fsync: boolean,
    /** 0 for a directory of this server's alone; SHARED_SETTLE_MS where nodes share it. */
    private readonly settleMs = 0,
  ) {
    super();
    this.scratch = new LocalScratch(dir);
  }

  async removeUnfinished(): Promise<void> {
    this.scratch.clear(this.settleMs);
  }

  scratchDir(): string {
    return this.scratch.conversionDir();
  }

  tempFile(): string {
    return this.scratch.tempFile();
  }

  async receive(source: Readable): Promise<ReceivedDocument> {
    const tempPath = this.scratch.tempFile();
    const hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let file: FileHandle | undefined;
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        size += chunk.length;
        hash.update(chunk);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= WRITE_BATCH_BYTES) {
          file ??= await open(tempPath, 'wx', PRIVATE_FILE_MODE);
          await file.writev(pending);
          pending = [];
          pendingBytes = 0;
        }
      }
      if (!file && size <= SMALL_DOCUMENT_BYTES && !this.fsync) {
        const fd = await openForWriting(tempPath);
        try {
          writeFileSync(fd, Buffer.concat(pending, pendingBytes));
        } finally {
          closeSync(fd);
        }
      } else {
        file ??= await open(tempPath, 'wx', PRIVATE_FILE_MODE);
        if (pendingBytes) await file.writev(pending);
        if (this.fsync) await file.sync();
      }
    } catch (error) {
      await file?.close().catch(() => {});
      await rm(tempPath, { force: true });
      throw error;
    }
    await file?.close();
    return { pending: tempPath, size, sha256: hash.digest('hex') };
  }

  async adopt(tempPath: string): Promise<ReceivedDocument> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(tempPath) as AsyncIterable<Buffer>) {
      size += chunk.length;
      hash.update(chunk);
    }
    if (this.fsync) await syncPath(tempPath);
    return { pending: tempPath, size, sha256: hash.digest('hex') };
  }

  async commit(document: ReceivedDocument, name: string): Promise<void> {
    await rename(document.pending, this.path(name));
    if (this.fsync) await syncPath(this.dir);
    document.committed = true;
  }

  protected async drop(document: ReceivedDocument): Promise<void> {
    await rm(document.pending, { force: true });
  }

  async open(name: string): Promise<OpenedDocument | undefined> {
    const path = this.path(name);
    const size = await stat(path).then((s) => s.size, () => undefined);
    return size === undefined ? undefined : { size, stream: createReadStream(path) };
  }

  async localCopy(name: string): Promise<LocalDocument | undefined> {
    const path = this.path(name);
    const found = await stat(path).then(() => true, () => false);
    return found ? { path, release: async () => {} } : undefined;
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }

  async settled(): Promise<string[]> {
    return settledFiles(this.dir, this.settleMs, (name) => !name.startsWith('.'));
  }

  private path(name: string): string {
    checkDocumentName(name);
    return join(this.dir, name);
  }
}

