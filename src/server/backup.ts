// `ocp backup DEST` and `ocp restore SRC` for a SQLite deployment. A backup
// is taken while the server runs: VACUUM INTO copies the database as one
// read transaction (a consistent snapshot, whatever the server commits
// meanwhile), then the documents the snapshot's jobs refer to are copied
// and checked against their SHA-256, then DATA/tls so devices keep trusting
// the restored server. PostgreSQL deployments use pg_dump
// (docs/operations.md).
import { copyFileSync, cpSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { ServerConfig } from '../config.ts';
import { sqliteFile } from '../store/db.ts';
import { runningHolder } from './data-lock.ts';
import { VERSION } from '../version.ts';

export const MANIFEST_FILE = 'backup.json';

export interface BackupManifest {
  version: string;
  createdAt: string;
  jobs: number;
  documents: number;
  /** Jobs of the snapshot whose document was deleted before it was copied (retention or a delete in between). */
  documentsGone: number;
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

function requireSqlite(config: ServerConfig, verb: string): void {
  if (config.database !== 'sqlite') throw new Error(`ocp ${verb} handles SQLite only; for PostgreSQL use pg_dump/pg_restore and copy DATA/documents and DATA/tls (docs/operations.md)`);
}

function isEmptyOrAbsent(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

export async function backup(config: ServerConfig, dest: string): Promise<BackupManifest> {
  requireSqlite(config, 'backup');
  const source = sqliteFile(config.dataDir);
  if (!existsSync(source)) throw new Error(`no database at ${source}: give the server's --data`);
  if (!isEmptyOrAbsent(dest)) throw new Error(`${dest} is not empty: back up into a new directory`);
  mkdirSync(join(dest, 'documents'), { recursive: true, mode: 0o700 });
  const copy = join(dest, 'ocp.sqlite');
  const live = new SQLite(source, { fileMustExist: true });
  try {
    live.pragma('busy_timeout = 5000');
    live.prepare('VACUUM INTO ?').run(copy);
  } finally {
    live.close();
  }
  const snapshot = new SQLite(copy, { readonly: true });
  let jobs: Array<{ document_path: string | null; document_sha256: string | null }>;
  try {
    jobs = snapshot.prepare('SELECT document_path, document_sha256 FROM jobs').all() as typeof jobs;
  } finally {
    snapshot.close();
  }
  let documents = 0;
  let documentsGone = 0;
  for (const job of jobs) {
    if (!job.document_path) continue;
    const from = join(config.dataDir, 'documents', job.document_path);
    const to = join(dest, 'documents', job.document_path);
    try {
      copyFileSync(from, to);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      documentsGone++;
      continue;
    }
    if (job.document_sha256 && (await sha256Of(to)) !== job.document_sha256) throw new Error(`the copy of ${from} does not match its job's SHA-256`);
    documents++;
  }
  if (existsSync(join(config.dataDir, 'tls'))) cpSync(join(config.dataDir, 'tls'), join(dest, 'tls'), { recursive: true, preserveTimestamps: true });
  const manifest: BackupManifest = { version: VERSION, createdAt: new Date().toISOString(), jobs: jobs.length, documents, documentsGone };
  writeFileSync(join(dest, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

export function restore(config: ServerConfig, source: string): BackupManifest {
  requireSqlite(config, 'restore');
  if (!existsSync(join(source, MANIFEST_FILE)) || !existsSync(join(source, 'ocp.sqlite'))) throw new Error(`${source} is no backup made by ocp backup (no ${MANIFEST_FILE} or ocp.sqlite)`);
  const holder = runningHolder(config.dataDir);
  if (holder) throw new Error(`a server runs on ${config.dataDir} (pid ${holder.pid}): stop it first`);
  if (existsSync(sqliteFile(config.dataDir))) throw new Error(`${sqliteFile(config.dataDir)} exists: restore into an empty data directory, or move the database away first`);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  cpSync(join(source, 'documents'), join(config.dataDir, 'documents'), { recursive: true });
  if (existsSync(join(source, 'tls'))) cpSync(join(source, 'tls'), join(config.dataDir, 'tls'), { recursive: true, preserveTimestamps: true });
  // The database last: a data directory with a database is one a server can start on.
  copyFileSync(join(source, 'ocp.sqlite'), sqliteFile(config.dataDir));
  return JSON.parse(readFileSync(join(source, MANIFEST_FILE), 'utf8')) as BackupManifest;
}
