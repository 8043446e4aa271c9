// Failures counted per key with exponential backoff instead of a hard lock:
// the first `freeFailures` cost nothing, then each further one makes the key
// wait `baseDelayMs`, doubling up to `maxDelayMs`. A key quiet for a whole
// `maxDelayMs` after its wait ended is forgotten. Password sign-ins use it per
// (account, source address), so a guesser slows itself down and nobody else.
const MAX_KEYS = 100_000;

export interface BackoffLimits {
  /** Failures a key may have before it has to wait; 0 turns the backoff off. */
  freeFailures: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

interface Entry {
  failures: number;
  /** Until then the key waits. */
  retryAt: number;
}

export class FailureBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly limits: BackoffLimits) {}

  /** Milliseconds `key` must still wait before its next attempt; 0 when it may go. */
  waitMs(key: string, now = Date.now()): number {
    const entry = this.current(key, now);
    return entry ? Math.max(0, entry.retryAt - now) : 0;
  }

  /** Counts a failure of `key`; returns how long the key must now wait. */
  fail(key: string, now = Date.now()): number {
    if (this.limits.freeFailures === 0) return 0;
    let entry = this.current(key, now);
    if (!entry) {
      // Keys come from clients: keep the map bounded even if nobody prunes it.
      if (this.entries.size >= MAX_KEYS) this.prune(now);
      if (this.entries.size >= MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, (entry = { failures: 0, retryAt: now }));
    }
    entry.failures++;
    const delay = this.delayAfter(entry.failures);
    entry.retryAt = now + delay;
    return delay;
  }

  /** Forgets `key`'s failures (the right secret was given). */
  succeed(key: string): void {
    this.entries.delete(key);
  }

  prune(now = Date.now()): void {
    for (const [key, entry] of this.entries) if (this.expired(entry, now)) this.entries.delete(key);
  }

  private delayAfter(failures: number): number {
    const { freeFailures, baseDelayMs, maxDelayMs } = this.limits;
    if (failures < freeFailures) return 0;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(failures - freeFailures, 40));
  }

  private current(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && this.expired(entry, now)) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private expired(entry: Entry, now: number): boolean {
    return now - entry.retryAt >= this.limits.maxDelayMs;
  }
}
