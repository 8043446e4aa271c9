// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs in
// whichever commit crosses the threshold and fsyncs the database file there,
// stalling every request of the process for that long. Instead, a worker
// thread with its own connection runs PASSIVE checkpoints (they never block
// the writer) every `intervalMs`; the main connection keeps a large automatic
// threshold only as a safety net should the worker fall behind.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type SQLite from 'better-sqlite3';

/** The main connection checkpoints by itself only past this many WAL pages (~64 MB). */
export const SAFETY_NET_PAGES = 16_384;

// Plain JavaScript: the worker runs without the TypeScript loader.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (error) { parentPort.postMessage(String(error && error.message)); }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(sqlite: SQLite.Database, file: string, intervalMs = 1000, onError: (message: string) => void = () => {}): Checkpointer {
  sqlite.pragma(`wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, intervalMs, driver } });
  worker.on('message', (message: string) => onError(message));
  worker.on('error', (error) => onError(error.message));
  // The worker must not keep a finished process alive.
  worker.unref();
  return {
    async stop() {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.ref(); // keep the process up until the worker has closed its connection
      worker.postMessage('stop');
      await exited;
    },
  };
}
