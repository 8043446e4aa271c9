// Row types of the tables of the `database` document store (migration
// 0012_documents, src/cloud/documents/database.ts). SQLite has them too,
// empty: that backend is PostgreSQL only.

export interface DocumentsTable {
  /** Random id of the upload, from its first byte on. */
  id: string;
  /** The document's name (a job id, a conversion result) once committed; null while it is an upload. */
  name: string | null;
  size: number;
  /** Number of rows in document_chunks (seq 0 … chunks-1), known once the upload is complete. */
  chunks: number;
  /** Milliseconds; moves with every chunk written and at commit, so the start-up clean-up spares what is alive. */
  updated_at: number;
}

export interface DocumentChunksTable {
  document_id: string;
  seq: number;
  data: Buffer;
}

export interface DocumentTables {
  documents: DocumentsTable;
  document_chunks: DocumentChunksTable;
}
