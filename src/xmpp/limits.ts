// Limits every XMPP server instance enforces; each has a server option.
export interface XmppLimits {
  /** Largest stanza accepted (characters); larger ones end the stream with `policy-violation`. */
  maxStanzaSize: number;
  /** Deepest element nesting inside a stanza. */
  maxDepth: number;
  /** Output a client has not read yet (bytes) before the server gives up on it. */
  maxBufferedBytes: number;
  /** Failed SASL attempts on one connection before it is closed (RFC 6120 §6.4.5). */
  maxAuthFailuresPerConnection: number;
  /** Failed SASL attempts from one address within a minute before its logins are refused. */
  maxAuthFailuresPerAddress: number;
  /** Bound sessions one account may hold at once. */
  maxConnectionsPerAccount: number;
  /** Time from connect until a resource is bound (ms). */
  handshakeTimeoutMs: number;
  /** Silence from a bound client before the server pings it (ms); 0 = never. */
  idleTimeoutMs: number;
  /** Time a client has to answer the server's ping (ms). */
  pingTimeoutMs: number;
}

export const DEFAULT_LIMITS: XmppLimits = {
  maxStanzaSize: 256 * 1024,
  maxDepth: 32,
  maxBufferedBytes: 1024 * 1024,
  maxAuthFailuresPerConnection: 3,
  maxAuthFailuresPerAddress: 20,
  maxConnectionsPerAccount: 100,
  handshakeTimeoutMs: 30_000,
  idleTimeoutMs: 300_000,
  pingTimeoutMs: 30_000,
};

const WINDOW_MS = 60_000;

/** Counts failed logins per source address in a fixed one-minute window. */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly maxPerWindow: number) {}

  blocked(address: string, now = Date.now()): boolean {
    const entry = this.failures.get(address);
    return entry !== undefined && now - entry.since < WINDOW_MS && entry.count >= this.maxPerWindow;
  }

  recordFailure(address: string, now = Date.now()): void {
    const entry = this.failures.get(address);
    if (!entry || now - entry.since >= WINDOW_MS) this.failures.set(address, { count: 1, since: now });
    else entry.count++;
  }

  prune(now = Date.now()): void {
    for (const [address, entry] of this.failures) if (now - entry.since >= WINDOW_MS) this.failures.delete(address);
  }
}
