// Case-insensitive "contains" for `q` filters, the same on SQLite and
// PostgreSQL: LIKE with an explicit escape character (SQLite has none by default).
import { sql, type Expression, type SqlBool } from 'kysely';
import { CloudError } from './errors.ts';

/** SQLite refuses a LIKE pattern longer than this ("LIKE or GLOB pattern too complex"): SQLITE_MAX_LIKE_PATTERN_LENGTH. */
const SQLITE_MAX_LIKE_PATTERN_BYTES = 50_000;

/** The longest search text: escaping may double each of its bytes, and the pattern adds a % at each end. */
export const MAX_SEARCH_TEXT_BYTES = (SQLITE_MAX_LIKE_PATTERN_BYTES - 2) / 2;

export function containsText(column: string, text: string): Expression<SqlBool> {
  if (Buffer.byteLength(text) > MAX_SEARCH_TEXT_BYTES) throw new CloudError('INVALID_PARAMETER', `Parameter q is longer than ${MAX_SEARCH_TEXT_BYTES} bytes`);
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}
