// Checks every interface runs on untrusted text before parsing or storing it,
// each interface answering in its own vocabulary (a /cloudprint envelope, an
// OAuth error, a CCS NACK): a NUL character, which no field has a use for and
// PostgreSQL cannot store in text, and JSON nested deeper than a limit (the
// server's --max-json-depth), found by a scan of the raw text before
// JSON.parse builds a value that recursive code (JSON.stringify, validation)
// could not walk.

/** Whether `text` holds U+0000. */
export function hasNul(text: string): boolean {
  return text.includes('\0');
}

/**
 * The name of the first field of `sources` (parsed query strings, form or JSON
 * bodies) whose text, or one of whose texts, holds a NUL; undefined if none.
 * Nested objects are not searched: they are stored as JSON text, where a NUL is escaped.
 */
export function nulField(...sources: unknown[]): string | undefined {
  for (const source of sources) {
    if (!source || typeof source !== 'object') continue;
    for (const [name, value] of Object.entries(source)) {
      const texts: unknown[] = Array.isArray(value) ? value : [value];
      if (texts.some((text) => typeof text === 'string' && hasNul(text))) return name;
    }
  }
  return undefined;
}

/** A JSON text nested deeper than the limit; a SyntaxError, as JSON.parse's own refusals are. */
export class JsonDepthError extends SyntaxError {
  constructor(readonly maxDepth: number) {
    super(`JSON nested deeper than ${maxDepth} levels`);
  }
}

/** Whether JSON text opens more than `maxDepth` objects and arrays inside one another (brackets in strings do not count). */
export function jsonDeeperThan(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** JSON.parse for untrusted text: throws JsonDepthError, without parsing, for text nested deeper than `maxDepth`. */
export function parseJson(text: string, maxDepth: number): unknown {
  if (jsonDeeperThan(text, maxDepth)) throw new JsonDepthError(maxDepth);
  return JSON.parse(text) as unknown;
}
