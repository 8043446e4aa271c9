// What a session and the server that accepted it share: the listener it
// came in on, and the answer to a bind request.
import type { StanzaErrorType } from './stream-error.ts';

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
