// What a session needs from the server that accepted it (SessionHost), and
// the types both share. XmppServer implements SessionHost; session.ts
// imports only this file, so a session never depends on the server's class.
import type { SecureContext } from 'node:tls';
import type { Element } from 'ltx';
import type { Logger } from '../log.ts';
import type { WindowLimiter } from '../limits/window-limiter.ts';
import type { StanzaErrorType } from './stream-error.ts';
import type { Authenticator } from './sasl.ts';
import type { XmppLimits } from './limits.ts';
import type { ParserPool } from './xml/parser-pool.ts';

export type ListenMode = 'starttls-required' | 'direct' | 'plain';

export interface Listener {
  /** Label in logs and metrics, e.g. "xmpp" or "xmpps". */
  name: string;
  mode: ListenMode;
}

export interface BindError {
  type: StanzaErrorType;
  condition: string;
  text?: string;
}

/** The server as its sessions see it; `Session` is the session class (XmppSession). */
export interface SessionHost<Session = unknown> {
  /** The XMPP domain, lower case. */
  readonly domain: string;
  readonly options: { readonly acceptAnyHost?: boolean };
  readonly limits: XmppLimits;
  /** The counters a session bumps (XmppStats). */
  readonly stats: { stanzasIn: number; stanzasOut: number; authFailures: number };
  readonly log: Logger;
  /** Stream parsers a session borrows per read. */
  readonly parsers: ParserPool;
  /** For STARTTLS; undefined when the server has no TLS material. */
  readonly secureContext: SecureContext | undefined;
  readonly authenticator: Authenticator;
  /** Failed logins per address, shared by all sessions. */
  readonly authLimiter: Pick<WindowLimiter, 'blocked' | 'record'>;
  /** `<stream:features>` of a negotiation stage (RFC 6120 §4.3.2). */
  features(stage: 'tls' | 'auth' | 'bind'): string;
  /** Asks to bind `resource` (RFC 6120 §7.6–7.7); an error refuses it. */
  bindSession(session: Session, resource: string): BindError | undefined;
  /** The session is bound and may send stanzas. */
  sessionBound(session: Session): void;
  /** Called once when the session's socket has closed. */
  sessionClosed(session: Session): void;
  /** Hands a stanza from a bound session to the server's handlers. */
  dispatch(stanza: Element, session: Session): void;
}
