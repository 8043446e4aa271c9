// Queries compiled to SQL once and run many times with new values. Kysely
// builds an operation tree and compiles it to SQL on every call; for the small
// lookups made on every API request that costs more than the database takes to
// answer them. A prepared query is written with the same builder, with
// `param(name)` standing in for each value bound at run time, and compiled the
// first time it runs on a database (the SQL differs between dialects).
//
// LIMIT and OFFSET must be literals (`sql.lit(n)`), never bound values: SQLite
// (3.53, measured) plans with a bound LIMIT's value, so binding it marks the
// statement expired and every run compiles it again, ten times the cost of the
// run itself (85 µs against 8.5 µs for the queued-jobs query).
//
// On SQLite a prepared query runs straight on its own better-sqlite3 statement,
// not through Kysely's driver, whose connection lock and promises add 2–6 µs
// to an 8 µs lookup; and it reads rows as arrays and names them here, which
// takes 12–16 µs for a job or printer row where better-sqlite3's own named rows
// take 18–24 µs (and, with the row constructor below, a token check 9–10 µs
// in a tight loop instead of 10–11). Inside a transaction (which holds the one
// connection) it waits for the connection like any Kysely query.
import type { Compilable, CompiledQuery } from 'kysely';
import type SQLite from 'better-sqlite3';
import { sqliteConnectionOf, type Db } from './db.ts';

const PLACEHOLDER = '\u0000ocp-param:';
const BOUND_LIMIT = /\b(limit|offset) \(?(\?|\$\d+)/i;

export interface PreparedQuery<V, R> {
  /** Runs a select; resolves to its rows. */
  all(values: V): Promise<R[]>;
  first(values: V): Promise<R | undefined>;
  /** Runs an insert, update or delete without RETURNING; resolves to the number of rows it changed. */
  run(values: V): Promise<number>;
}

export type Param<V> = <K extends keyof V & string>(name: K) => V[K];

export function preparedQuery<V extends object, R>(build: (db: Db, param: Param<V>) => Compilable<R>): (db: Db) => PreparedQuery<V, R> {
  const compiledFor = new WeakMap<Db, PreparedQuery<V, R>>();
  return (db) => {
    let query = compiledFor.get(db);
    if (!query) compiledFor.set(db, (query = compile(db, (param) => build(db, param))));
    return query;
  };
}

function compile<V extends object, R>(db: Db, build: (param: Param<V>) => Compilable<R>): PreparedQuery<V, R> {
  const names = new Set<string>();
  const param = ((name: string) => {
    names.add(name);
    return PLACEHOLDER + name;
  }) as Param<V>;
  const compiled = build(param).compile();
  if (BOUND_LIMIT.test(compiled.sql)) throw new Error(`prepared query: LIMIT and OFFSET must be literals (sql.lit), not bound values, in: ${compiled.sql}`);
  // Which parameter position takes which named value; the others are constants of the query.
  const slots = compiled.parameters.map((value) => (typeof value === 'string' && value.startsWith(PLACEHOLDER) ? value.slice(PLACEHOLDER.length) : undefined));
  for (const name of names) {
    if (!slots.includes(name)) throw new Error(`prepared query: parameter ${name} did not become a bound value in: ${compiled.sql}`);
  }
  const valuesOf = (values: V): unknown[] => slots.map((name, i) => (name === undefined ? compiled.parameters[i] : (values as Record<string, unknown>)[name]));
  const viaKysely = kyselyQuery(db, compiled, valuesOf);
  const sqlite = sqliteConnectionOf(db);
  return sqlite ? directQuery(sqlite, compiled.sql, valuesOf, viaKysely) : viaKysely;
}

function kyselyQuery<V, R>(db: Db, compiled: CompiledQuery<R>, valuesOf: (values: V) => unknown[]): PreparedQuery<V, R> {
  const bind = (values: V): CompiledQuery<R> => ({ ...compiled, parameters: valuesOf(values) });
  return {
    async all(values) {
      return (await db.executeQuery(bind(values))).rows;
    },
    async first(values) {
      return (await db.executeQuery(bind(values))).rows[0];
    },
    async run(values) {
      return Number((await db.executeQuery(bind(values))).numAffectedRows ?? 0n);
    },
  };
}

function directQuery<V, R>(sqlite: SQLite.Database, sql: string, valuesOf: (values: V) => unknown[], viaKysely: PreparedQuery<V, R>): PreparedQuery<V, R> {
  const statement = sqlite.prepare(sql);
  // Read once: the store has migrated its schema before anything runs on it.
  const named = rowConstructor<R>(statement.reader ? statement.columns().map((column) => column.name) : []);
  if (statement.reader) statement.raw(true);
  return {
    async all(values) {
      return sqlite.inTransaction ? viaKysely.all(values) : (statement.all(valuesOf(values)) as unknown[][]).map(named);
    },
    async first(values) {
      if (sqlite.inTransaction) return viaKysely.first(values);
      const row = statement.get(valuesOf(values)) as unknown[] | undefined;
      return row && named(row);
    },
    async run(values) {
      return sqlite.inTransaction ? viaKysely.run(values) : statement.run(valuesOf(values)).changes;
    },
  };
}

/**
 * Names an array row: a function built for the query's columns that returns
 * an object literal, so every row of a query has one shape. Filling an empty
 * object column by column instead goes through V8's megamorphic keyed stores,
 * which `perf` showed under every token, printer and job lookup.
 */
function rowConstructor<R>(columns: string[]): (row: unknown[]) => R {
  const fields = columns.map((name, i) => `${JSON.stringify(name)}: row[${i}]`);
  return new Function('row', `return { ${fields.join(', ')} };`) as (row: unknown[]) => R;
}
