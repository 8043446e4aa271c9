// Reading the fields of a parsed request, shared by every HTTP interface of the server.
/**
 * A field of a parsed query string or body (form or JSON) as text: undefined
 * when absent, repeated (an array) or not a string, so that a route never
 * meets a value of a type it did not expect.
 */
export function textField(source: unknown, name: string): string | undefined {
  const value = (source as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}
