// Checks every interface runs on untrusted text before parsing or storing it,
// each interface answering in its own vocabulary (a /cloudprint envelope, an
// HTTP 400, a CCS NACK or stanza error): JSON nested deeper than the server's
// --max-json-depth, found by a scan of the raw text before JSON.parse builds
// a value that recursive code (JSON.stringify, validation) could not walk.

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
