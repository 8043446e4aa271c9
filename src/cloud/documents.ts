// Print documents live as files under DATA/documents, one per job, named by
// job id. A document is streamed to a temporary file first and renamed into
// place only when its job is committed, so a failed or truncated upload never
// leaves a half-written document behind. With --sync full the file and the
// directory are fsynced before the job is acknowledged; with --sync normal the
// page cache carries it through a process crash, like SQLite's WAL does.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readdirSync, rmSync, type ReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface ReceivedDocument {
  tempPath: string;
  size: number;
  sha256: string;
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class DocumentStore {
  private readonly tempDir: string;

  constructor(
    readonly dir: string,
    private readonly fsync: boolean,
  ) {
    this.tempDir = join(dir, '.incoming');
    mkdirSync(this.tempDir, { recursive: true });
    // Uploads that were in flight when the process died were never acknowledged.
    for (const name of readdirSync(this.tempDir)) rmSync(join(this.tempDir, name), { force: true });
  }

  /** Streams `source` into a temporary file; the caller commits or discards it. */
  async receive(source: Readable): Promise<ReceivedDocument> {
    const tempPath = join(this.tempDir, randomBytes(12).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, measure, createWriteStream(tempPath));
      if (this.fsync) await syncPath(tempPath);
    } catch (error) {
      await rm(tempPath, { force: true });
      throw error;
    }
    return { tempPath, size, sha256: hash.digest('hex') };
  }

  /** Moves a received document into place as `name`. */
  async commit(document: ReceivedDocument, name: string): Promise<void> {
    await rename(document.tempPath, this.path(name));
    if (this.fsync) await syncPath(this.dir);
  }

  async discard(document: ReceivedDocument | undefined): Promise<void> {
    if (document) await rm(document.tempPath, { force: true });
  }

  open(name: string): ReadStream {
    return createReadStream(this.path(name));
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }

  /** Names of the committed documents, for the start-up sweep of orphans. */
  list(): string[] {
    return readdirSync(this.dir).filter((name) => !name.startsWith('.'));
  }

  private path(name: string): string {
    if (!/^[\w-]+$/.test(name)) throw new Error(`bad document name ${name}`);
    return join(this.dir, name);
  }
}
