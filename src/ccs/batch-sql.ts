// The batched statements of the message path, compiled once per shape.
// Building a Kysely query per batch (hundreds of parameters through the
// operation-node tree) cost more CPU than SQLite spent running it, and every
// new batch size was a new SQL text for the driver to prepare. Batches are
// therefore cut into chunks of a few fixed sizes; each (statement, size) is
// compiled by Kysely once — so the SQL stays right for SQLite and PostgreSQL
// alike — and then run with fresh parameters only.
import type { CompiledQuery, Compilable, QueryResult } from 'kysely';
import type { Db } from '../store/db.ts';

/** Chunk sizes, largest first: any batch is a handful of chunks of these. */
const SHAPES = [256, 64, 16, 4, 1];

/** Cuts `items` into chunks of the fixed sizes, largest first. */
export function shapedChunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  let at = 0;
  while (at < items.length) {
    const left = items.length - at;
    const size = SHAPES.find((shape) => shape <= left)!;
    out.push(items.slice(at, at + size));
    at += size;
  }
  return out;
}

export class BatchStatement<Item, Row = unknown> {
  private readonly compiled = new Map<number, CompiledQuery>();

  constructor(
    /** The query for `size` items; its parameters must be exactly the items' `params`, in order. */
    private readonly build: (db: Db, size: number) => Compilable,
    /** One item's parameters. */
    private readonly params: (item: Item) => unknown[],
    private readonly paramsPerItem: number,
  ) {}

  /** Runs the statement over all `items` on `db` (a transaction or the store), chunk by chunk. */
  async run(db: Db, items: readonly Item[]): Promise<Row[]> {
    const rows: Row[] = [];
    for (const chunk of shapedChunks(items)) {
      const template = this.template(db, chunk.length);
      const parameters: unknown[] = [];
      for (const item of chunk) for (const value of this.params(item)) parameters.push(value);
      const result = (await db.executeQuery({ ...template, parameters })) as QueryResult<Row>;
      for (const row of result.rows) rows.push(row);
    }
    return rows;
  }

  private template(db: Db, size: number): CompiledQuery {
    let template = this.compiled.get(size);
    if (!template) {
      template = this.build(db, size).compile();
      if (template.parameters.length !== size * this.paramsPerItem) throw new Error(`batch statement: ${template.parameters.length} parameters for ${size} items`);
      this.compiled.set(size, template);
    }
    return template;
  }
}
