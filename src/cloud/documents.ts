// Print documents live as files under DATA/documents, one per job, named by
// job id. A document is streamed to a temporary file first and renamed into
// place only when its job is committed, so a failed or truncated upload never
// leaves a half-written document behind. With --sync full the file and the
// directory are fsynced before the job is acknowledged; with --sync normal the
// page cache carries it through a process crash, like SQLite's WAL does.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, existsSync, open as openFd, readdirSync, rmSync, statSync, writeFileSync, type ReadStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { PRIVATE_FILE_MODE, privateDir } from '../files/private.ts';

export interface ReceivedDocument {
  tempPath: string;
  size: number;
  sha256: string;
  /** Set once the document is renamed into place; discarding it then does nothing. */
  committed?: boolean;
}

/**
 * A document up to this size is written with one call, into a file created
 * on the thread pool: creating it (inode and directory updates) is what
 * costs, 0.03–0.4 ms on ext4, and the event loop serves other requests
 * meanwhile (docs/performance.md has the measurements).
 */
const SMALL_DOCUMENT_BYTES = 64 * 1024;
/** Larger documents are written in batches of this size as they arrive, so memory stays bounded. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/**
 * Where nodes share the directory (several servers on one PostgreSQL), the
 * start-up clean-ups leave files written in the last ten minutes alone:
 * another node may have an upload in flight, or a document renamed into
 * place whose job row is about to commit. What a crash left that young goes
 * at a later start.
 */
export const SHARED_SETTLE_MS = 10 * 60 * 1000;

/** Names in `dir` whose file was last written more than `settleMs` ago. */
function settledFiles(dir: string, settleMs: number, keep: (name: string) => boolean = () => true): string[] {
  const before = Date.now() - settleMs;
  return readdirSync(dir).filter((name) => {
    if (!keep(name)) return false;
    try {
      return statSync(join(dir, name)).mtimeMs < before;
    } catch {
      return false; // gone meanwhile
    }
  });
}

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

export class DocumentStore {
  private readonly tempDir: string;
  /** Work directories of conversions, one per process (src/cloud/conversion/). */
  private readonly scratchRoot: string;
  /** Temporary names are this store's random prefix and a counter: unique without a random draw per upload. */
  private readonly tempPrefix = randomBytes(6).toString('hex');
  private tempCount = 0;

  constructor(
    readonly dir: string,
    private readonly fsync: boolean,
    /** 0 for a directory of this server's alone; SHARED_SETTLE_MS where nodes share it. */
    private readonly settleMs = 0,
  ) {
    this.tempDir = join(dir, '.incoming');
    // Print documents are private (0700 directories, 0600 files): see src/files/private.ts.
    privateDir(dir);
    privateDir(this.tempDir);
    // Uploads that were in flight when a process died were never acknowledged.
    for (const name of settledFiles(this.tempDir, settleMs)) rmSync(join(this.tempDir, name), { force: true });
    this.scratchRoot = join(dir, '.converting');
    // Conversions in flight when a process died are done again from their source document.
    if (existsSync(this.scratchRoot)) for (const name of settledFiles(this.scratchRoot, settleMs)) rmSync(join(this.scratchRoot, name), { recursive: true, force: true });
  }

  /**
   * This store's private scratch directory for conversions, on the documents'
   * file system (so results can be renamed into place); the converter creates
   * it, 0700, when it first converts.
   */
  scratchDir(): string {
    return join(this.scratchRoot, this.tempPrefix);
  }

  /** Streams `source` into a temporary file; the caller commits or discards it. */
  async receive(source: Readable): Promise<ReceivedDocument> {
    const tempPath = join(this.tempDir, `${this.tempPrefix}-${++this.tempCount}`);
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
    return { tempPath, size, sha256: hash.digest('hex') };
  }

  /** A fresh path in the store's temporary directory, for a document written by someone else (a conversion); adopt() it then. */
  tempFile(): string {
    return join(this.tempDir, `${this.tempPrefix}-${++this.tempCount}`);
  }

  /** A document written at `tempPath` (from tempFile()), measured and hashed, ready to commit or discard. */
  async adopt(tempPath: string): Promise<ReceivedDocument> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(tempPath) as AsyncIterable<Buffer>) {
      size += chunk.length;
      hash.update(chunk);
    }
    if (this.fsync) await syncPath(tempPath);
    return { tempPath, size, sha256: hash.digest('hex') };
  }

  /** Moves a received document into place as `name`. */
  async commit(document: ReceivedDocument, name: string): Promise<void> {
    await rename(document.tempPath, this.path(name));
    if (this.fsync) await syncPath(this.dir);
    document.committed = true;
  }

  /**
   * Moves `document` into place as `name`, then runs `record` (the job row
   * that refers to it). The document is in place before the row commits,
   * and the reply waits for both: an acknowledged job always has its
   * document. If either step fails nothing is left behind: the temporary
   * file is discarded, or the committed document removed again.
   */
  async commitFor<T>(document: ReceivedDocument, name: string, record: () => Promise<T>): Promise<T> {
    try {
      await this.commit(document, name);
    } catch (error) {
      await this.discard(document);
      throw error;
    }
    try {
      return await record();
    } catch (error) {
      await this.remove(name);
      throw error;
    }
  }

  async discard(document: ReceivedDocument | undefined): Promise<void> {
    if (document && !document.committed) await rm(document.tempPath, { force: true });
  }

  open(name: string): ReadStream {
    return createReadStream(this.path(name));
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }

  /** Names of the committed documents settled on disk, for the start-up sweep of orphans. */
  settled(): string[] {
    return settledFiles(this.dir, this.settleMs, (name) => !name.startsWith('.'));
  }

  private path(name: string): string {
    if (!/^[\w-]+$/.test(name)) throw new Error(`bad document name ${name}`);
    return join(this.dir, name);
  }
}
