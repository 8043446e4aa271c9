// A document store's room on this node's disk, under DATA/documents:
// `.incoming/` holds uploads being written and conversion outputs until they
// are committed, `.converting/` the conversions' work directories (one per
// process, src/cloud/conversion/). Both backends use it: the directory one
// for its uploads too, the database one only for what the tools read and
// write. Print documents are private (0700 directories, 0600 files: see
// src/files/private.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { privateDir } from '../../files/private.ts';

/** Names in `dir` whose file was last written more than `settleMs` ago. */
export function settledFiles(dir: string, settleMs: number, keep: (name: string) => boolean = () => true): string[] {
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

export class LocalScratch {
  private readonly tempDir: string;
  private readonly conversionRoot: string;
  /** Temporary names are this process's random prefix and a counter: unique without a random draw per upload. */
  private readonly prefix = randomBytes(6).toString('hex');
  private count = 0;

  constructor(dir: string) {
    this.tempDir = join(dir, '.incoming');
    this.conversionRoot = join(dir, '.converting');
    privateDir(dir);
    privateDir(this.tempDir);
  }

  /** At start-up: removes what a dead process left here more than `settleMs` ago. */
  clear(settleMs: number): void {
    // Uploads that were in flight when a process died were never acknowledged.
    for (const name of settledFiles(this.tempDir, settleMs)) rmSync(join(this.tempDir, name), { force: true });
    // Conversions in flight when a process died are done again from their source document.
    if (existsSync(this.conversionRoot)) for (const name of settledFiles(this.conversionRoot, settleMs)) rmSync(join(this.conversionRoot, name), { recursive: true, force: true });
  }

  /** A fresh path under `.incoming/`. */
  tempFile(): string {
    return join(this.tempDir, `${this.prefix}-${++this.count}`);
  }

  /**
   * This process's private work directory for conversions, on the documents'
   * file system (so results can be renamed into place); the converter
   * creates it, 0700, when it first converts.
   */
  conversionDir(): string {
    return join(this.conversionRoot, this.prefix);
  }
}
