// Where print documents live, behind one interface with two backends chosen
// by --documents (docs/configuration.md):
//   directory  files under DATA/documents (documents/directory.ts); one node,
//              or nodes that mount one shared directory there;
//   database   chunks in PostgreSQL (documents/database.ts); every node of a
//              cluster reads what any node stored.
// Both keep the same promises: a document is received (streamed, never held
// whole in memory) into a place of its own, becomes visible under its name
// only when committed, and a failed or discarded upload leaves nothing. The
// conversion tools need files: localCopy() gives one, tempFile() and adopt()
// take one back. At start-up each backend drops what a dead process left,
// sparing what another node may still be writing (SHARED_SETTLE_MS).
import type { Readable } from 'node:stream';

export interface ReceivedDocument {
  /** Where the bytes wait until commit: a temporary file (directory) or an upload id (database). */
  readonly pending: string;
  readonly size: number;
  readonly sha256: string;
  /** Set once the document is committed under its name; discarding it then does nothing. */
  committed?: boolean;
}

/** A committed document, being read. */
export interface OpenedDocument {
  size: number;
  stream: Readable;
}

/** A committed document as a file of this node, for a tool that reads files; release() when done. */
export interface LocalDocument {
  path: string;
  release(): Promise<void>;
}

/**
 * Where nodes share their documents (several servers on one PostgreSQL),
 * the start-up clean-ups leave what was written in the last ten minutes
 * alone: another node may have an upload in flight, or a document committed
 * whose job row is about to commit. What a crash left that young goes at a
 * later start.
 */
export const SHARED_SETTLE_MS = 10 * 60 * 1000;

const DOCUMENT_NAME = /^[\w-]+$/;

/** Names are job ids and conversion results: never a path. */
export function checkDocumentName(name: string): void {
  if (!DOCUMENT_NAME.test(name)) throw new Error(`bad document name ${name}`);
}

export abstract class DocumentStore {
  /** This node's DATA/documents: the documents themselves (directory), or only scratch space (database). */
  abstract readonly dir: string;
  /** This node's private scratch directory for conversions (src/cloud/conversion/). */
  abstract scratchDir(): string;
  /** Streams `source` into a place of its own; the caller commits or discards it. */
  abstract receive(source: Readable): Promise<ReceivedDocument>;
  /** A fresh path on this node for a document written by a tool (a conversion); adopt() it then. */
  abstract tempFile(): string;
  /** A document written at `tempPath` (from tempFile()), measured and hashed, ready to commit or discard. */
  abstract adopt(tempPath: string): Promise<ReceivedDocument>;
  /** Makes a received document visible as `name`, replacing one of that name. */
  abstract commit(document: ReceivedDocument, name: string): Promise<void>;
  /** Removes a received document that was not committed. */
  protected abstract drop(document: ReceivedDocument): Promise<void>;
  /** The committed document `name`, streamed; undefined when there is none. */
  abstract open(name: string): Promise<OpenedDocument | undefined>;
  /** The committed document `name` as a file of this node; undefined when there is none. */
  abstract localCopy(name: string): Promise<LocalDocument | undefined>;
  abstract remove(name: string): Promise<void>;
  /** At start-up: removes uploads and conversions a dead process left (settled ones only, where nodes share the store). */
  abstract removeUnfinished(): Promise<void>;
  /** Names of the committed documents settled long enough to be judged orphans, for the start-up sweep. */
  abstract settled(): Promise<string[]>;

  /**
   * Commits `document` as `name`, then runs `record` (the job row that
   * refers to it). The document is in place before the row commits, and the
   * reply waits for both: an acknowledged job always has its document. If
   * either step fails nothing is left behind: the upload is discarded, or
   * the committed document removed again.
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
    if (document && !document.committed) await this.drop(document);
  }
}
