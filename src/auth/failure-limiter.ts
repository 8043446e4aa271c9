// Failed logins counted per key (a source address, an account) in a fixed
// one-minute window: XMPP SASL, the OAuth2 password grant and the claim page
// all refuse a key that failed too often.
const WINDOW_MS = 60_000;
const MAX_KEYS = 10_000;

/** Counts failed logins per key in a fixed one-minute window. */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly maxPerWindow: number) {}

  blocked(address: string, now = Date.now()): boolean {
    const entry = this.failures.get(address);
    return entry !== undefined && now - entry.since < WINDOW_MS && entry.count >= this.maxPerWindow;
  }

  recordFailure(address: string, now = Date.now()): void {
    // Keys come from clients: keep the map bounded even if nobody prunes it.
    if (this.failures.size >= MAX_KEYS) this.prune(now);
    const entry = this.failures.get(address);
    if (!entry || now - entry.since >= WINDOW_MS) this.failures.set(address, { count: 1, since: now });
    else entry.count++;
  }

  prune(now = Date.now()): void {
    for (const [address, entry] of this.failures) if (now - entry.since >= WINDOW_MS) this.failures.delete(address);
  }
}
