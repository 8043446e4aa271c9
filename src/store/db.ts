// The one query layer: Kysely over better-sqlite3 (default, WAL) or PostgreSQL.
// Migrations under ./migrations run at start-up; each capability adds its own
// files there and its table types to ./schema.ts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type { Database } from './schema.ts';
import type { Logger } from '../log.ts';
import { migrationProvider } from './migrations/index.ts';
import { startCheckpointer, type Checkpointer } from './checkpointer.ts';
import { privateDir, privateFile, tightenIfPresent } from '../files/private.ts';

export type Db = Kysely<Database>;
export type Dialect = 'sqlite' | 'postgres';

export interface StoreOptions {
  /** `sqlite` (file under dataDir), `sqlite::memory:`, or a postgres:// URL. */
  database: string;
  dataDir: string;
  sync?: 'normal' | 'full';
  poolSize?: number;
  log?: Logger;
  /** false: refuse (NoDatabaseError) rather than create and migrate a database that does not exist yet. Default true. */
  create?: boolean;
  /** false: open as it is, without running migrations (`ocp check` inspects them). Default true. */
  migrate?: boolean;
}

/** openStore with `create: false` found no database at the place given. */
export class NoDatabaseError extends Error {}

/** The SQLite file of a data directory. */
export function sqliteFile(dataDir: string): string {
  return join(dataDir, 'ocp.sqlite');
}

export interface Store {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

// PostgreSQL returns BIGINT (int8) and NUMERIC as strings; every such column
// here holds a millisecond timestamp or a counter, well inside 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

/** The better-sqlite3 connection behind a store's own Kysely instance (not a transaction's); undefined on PostgreSQL. */
const sqliteConnections = new WeakMap<Db, SQLite.Database>();

export function sqliteConnectionOf(db: Db): SQLite.Database | undefined {
  return sqliteConnections.get(db);
}

const postgresPools = new WeakMap<Db, pg.Pool>();

/** The pg pool under a PostgreSQL store's Kysely instance (not a transaction's), for a statement Kysely cannot make: a named one (prepared once per connection). */
export function postgresPoolOf(db: Db): pg.Pool | undefined {
  return postgresPools.get(db);
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const isPostgres = /^postgres(ql)?:\/\//.test(options.database);
  let db: Db;
  let checkpointer: Checkpointer | undefined;
  const openConnections = new Set<Promise<void>>();
  if (isPostgres) {
    const pool = new pg.Pool({ connectionString: options.database, max: options.poolSize ?? 10 });
    // pg's Pool.end() resolves as soon as it has asked its idle connections
    // to close, not when they have: close() waits for each, so no connection
    // of the store outlives it (one still closing when the database is
    // dropped or restarted fails after close() returned).
    pool.on('connect', (client) => {
      const ended = new Promise<void>((resolve) => client.once('end', resolve)).then(() => void openConnections.delete(ended));
      openConnections.add(ended);
    });
    // An idle connection PostgreSQL ends (a restart, an administrator) is dropped by the pool; without a listener it would end the process.
    pool.on('error', (err) => options.log?.warn({ err }, 'an idle PostgreSQL connection failed'));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    postgresPools.set(db, pool);
    if (options.create === false && !(await hasMigrations(db))) {
      await db.destroy();
      throw new NoDatabaseError(`no OpenCloudPrint database at ${redactUrl(options.database)} (it has no migrations table)`);
    }
  } else {
    let file = ':memory:';
    if (options.database !== 'sqlite::memory:') {
      file = sqliteFile(options.dataDir);
      if (options.create === false && !existsSync(file)) throw new NoDatabaseError(`no database at ${file}`);
      privateDir(options.dataDir, options.log);
      // SQLite creates its -wal and -shm files with the database file's mode.
      privateFile(file, options.log);
      for (const suffix of ['-wal', '-shm']) tightenIfPresent(file + suffix, options.log);
    }
    const sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    // NORMAL in WAL mode loses nothing on a process crash (kill -9); FULL also
    // fsyncs each commit so a power loss cannot drop it.
    sqlite.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    if (file !== ':memory:') checkpointer = startCheckpointer(sqlite, file, 1000, (message) => options.log?.warn({ err: message }, 'WAL checkpoint failed'));
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    sqliteConnections.set(db, sqlite);
  }
  const store: Store = {
    db,
    dialect: isPostgres ? 'postgres' : 'sqlite',
    async close() {
      await checkpointer?.stop();
      await db.destroy();
      await Promise.all(openConnections);
    },
  };
  if (options.migrate !== false) await migrate(db);
  return store;
}

/** Whether a PostgreSQL database has Kysely's migration table, i.e. was set up by a server. */
async function hasMigrations(db: Db): Promise<boolean> {
  const { rows } = await sql<{ found: string | null }>`select to_regclass('kysely_migration')::text as found`.execute(db);
  return rows[0]?.found != null;
}

/** A database URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}

const STATEMENT_CACHE_SIZE = 500;

/**
 * better-sqlite3 compiles SQL on every prepare(), and Kysely prepares on every
 * query; the service runs a small set of distinct queries, so each compiled
 * statement is kept and reused. Kysely runs one query at a time on the
 * connection, so a cached statement is never in use twice.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        statement = sqlite.prepare(sql);
        if (statements.size < STATEMENT_CACHE_SIZE) statements.set(sql, statement);
      }
      return statement;
    },
  };
}

/** Whether a database error is a foreign key violation (SQLite or PostgreSQL): a row it refers to was deleted meanwhile. */
export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

/** The migrations the database has run; none before the first (no table yet). */
async function executedMigrations(db: Db): Promise<Array<{ name: string }>> {
  try {
    return (await sql<{ name: string }>`select name from kysely_migration`.execute(db)).rows;
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    if (code === '42P01' || /no such table/.test(message ?? '')) return [];
    throw error;
  }
}

/** Migrations this code has that the database has not run, and ones the database ran that this code does not know (a newer version's). */
export async function migrationState(db: Db): Promise<{ applied: number; pending: string[]; unknown: string[] }> {
  const known = Object.keys(await migrationProvider.getMigrations());
  const ran = new Set((await executedMigrations(db)).map((row) => row.name));
  return { applied: ran.size, pending: known.filter((name) => !ran.has(name)), unknown: [...ran].filter((name) => !known.includes(name)) };
}

export async function migrate(db: Db): Promise<void> {
  const { unknown } = await migrationState(db);
  if (unknown.length) {
    throw new Error(`the database was migrated by a newer version of ocp (${unknown.join(', ')}): run that version, or restore the backup taken before the upgrade (docs/operations.md)`);
  }
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${(error as Error | undefined)?.message ?? 'unknown error'}`);
  }
}
