// Why a request got no answer, in words that name what failed: fetch says
// only "fetch failed" and keeps the reason (ECONNREFUSED, ENOTFOUND, a TLS
// error) in its cause, and a timeout is an AbortSignal's TimeoutError.

/** "ECONNREFUSED", "no answer within 30 s", … from what fetch threw. */
export function networkCause(error: unknown, timeoutMs?: number): string {
  const failure = error as { name?: string; message?: string; cause?: { code?: string; message?: string; errors?: Array<{ code?: string; message?: string }> } };
  if (failure.name === 'TimeoutError') return timeoutMs ? `no answer within ${timeoutMs / 1000} s` : 'timed out';
  if (failure.name === 'AbortError') return 'aborted';
  const cause = failure.cause?.errors?.[0] ?? failure.cause;
  if (!cause) return failure.message ?? String(error);
  const { code, message } = cause;
  if (code && message && !message.includes(code)) return `${code} (${message})`;
  return message || code || failure.message || String(error);
}

/** The error to throw when `url` could not be reached. */
export function networkFailure(url: string, error: unknown, timeoutMs?: number): Error {
  return new Error(`cannot reach ${url}: ${networkCause(error, timeoutMs)}`, { cause: error });
}
