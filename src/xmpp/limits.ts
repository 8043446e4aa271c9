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
  /** Failed SASL attempts from one address within a minute before each further failure is answered only after authFailureDelayMs. */
  maxAuthFailuresPerAddress: number;
  /** How long a failed login from an address past maxAuthFailuresPerAddress waits for its answer (ms); right logins never wait. */
  authFailureDelayMs: number;
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
  authFailureDelayMs: 5_000,
  maxConnectionsPerAccount: 100,
  handshakeTimeoutMs: 30_000,
  idleTimeoutMs: 300_000,
  pingTimeoutMs: 30_000,
};
