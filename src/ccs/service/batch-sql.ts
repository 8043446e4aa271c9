// The batched statements of the message path, compiled once per shape.
// Building a Kysely query per batch (hundreds of parameters through the
// operation-node tree) cost more CPU than SQLite spent running it, and every
// new batch size was a new SQL text for the driver to prepare. Statements
// therefore take a few fixed sizes (powers of two up to 256): a batch is
// padded with its last item up to the next size and runs as one statement —
// so every statement here must be one where an item given twice acts as once
// (an `IN (…)` list, an insert `ON CONFLICT DO NOTHING`). Each (statement,
// size) is compiled by Kysely once, so the SQL stays right for SQLite and
// PostgreSQL alike, and then runs with fresh parameters only.
import type { CompiledQuery, Compilable, QueryResult } from 'kysely';
import type { Db } from '../../store/db.ts';

/** The largest statement, in items. */
const MAX_SHAPE = 256;

/** Cuts `items` into chunks of MAX_SHAPE and a last one, each padded with its last item up to a power of two. */
function paddedChunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let at = 0; at < items.length; at += MAX_SHAPE) {
    const chunk = items.slice(at, at + MAX_SHAPE);
    const size = 2 ** Math.ceil(Math.log2(chunk.length));
    while (chunk.length < size) chunk.push(chunk[chunk.length - 1]!);
    out.push(chunk);
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
    for (const chunk of paddedChunks(items)) {
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
