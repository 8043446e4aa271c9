// Case-insensitive "contains" for `q` filters, the same on SQLite and
// PostgreSQL: LIKE with an explicit escape character (SQLite has none by default).
import { sql, type Expression, type SqlBool } from 'kysely';

export function containsText(column: string, text: string): Expression<SqlBool> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<SqlBool>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}
