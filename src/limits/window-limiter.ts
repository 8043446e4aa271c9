// Events counted per key (a source address, an account) in a fixed window, a
// minute unless told otherwise: wrong passwords per source address, anonymous
// registrations (printers, CCS devices) and wrong registration tokens are
// refused for a key that reached its limit; failed XMPP logins past it are
// answered late. Wrong passwords per (account, source) use FailureBackoff.
const MINUTE_MS = 60_000;
const MAX_KEYS = 10_000;

/** Counts events per key in a fixed window that starts at a key's first event; a limit of 0 never blocks. */
export class WindowLimiter {
  private readonly counts = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly maxPerWindow: number,
    private readonly windowMs = MINUTE_MS,
  ) {}

  blocked(address: string, now = Date.now()): boolean {
    const entry = this.counts.get(address);
    return this.maxPerWindow > 0 && entry !== undefined && now - entry.since < this.windowMs && entry.count >= this.maxPerWindow;
  }

  /** Milliseconds until `address`'s window ends. */
  retryAfterMs(address: string, now = Date.now()): number {
    const entry = this.counts.get(address);
    return entry ? Math.max(0, entry.since + this.windowMs - now) : 0;
  }

  record(address: string, now = Date.now()): void {
    if (this.maxPerWindow === 0) return;
    // Keys come from clients: keep the map bounded even if nobody prunes it.
    if (this.counts.size >= MAX_KEYS) this.prune(now);
    const entry = this.counts.get(address);
    if (!entry || now - entry.since >= this.windowMs) this.counts.set(address, { count: 1, since: now });
    else entry.count++;
  }

  /** Counts one event for `address` unless it is blocked; false when it is. */
  take(address: string, now = Date.now()): boolean {
    if (this.blocked(address, now)) return false;
    this.record(address, now);
    return true;
  }

  /** Takes back one event taken for `address` (an attempt that turned out to succeed). */
  refund(address: string): void {
    const entry = this.counts.get(address);
    if (entry && entry.count > 0) entry.count--;
  }

  prune(now = Date.now()): void {
    for (const [address, entry] of this.counts) if (now - entry.since >= this.windowMs) this.counts.delete(address);
  }
}
