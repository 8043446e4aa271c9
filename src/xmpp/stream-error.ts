// Stream-level and stanza-level error conditions (RFC 6120 §4.9.3, §8.3.3).
import { Element } from 'ltx';
import { NS } from './namespaces.ts';

export type StreamErrorCondition =
  | 'bad-format'
  | 'conflict'
  | 'connection-timeout'
  | 'host-unknown'
  | 'internal-server-error'
  | 'invalid-namespace'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'system-shutdown'
  | 'unsupported-encoding'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

export type StanzaErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/** Thrown while handling input to end the stream with this condition. */
export class StreamError extends Error {
  constructor(
    readonly condition: StreamErrorCondition,
    readonly text?: string,
  ) {
    super(text ? `${condition}: ${text}` : condition);
  }
}

/** `<stream:error>`, written with the `stream:` prefix our header declares. */
export function streamErrorElement(condition: StreamErrorCondition, text?: string): Element {
  const error = new Element('stream:error');
  error.c(condition, { xmlns: NS.streams });
  if (text) error.c('text', { xmlns: NS.streams }).t(text);
  return error;
}

/** The error reply to a stanza (RFC 6120 §8.3.1): same kind and id, addresses swapped. */
export function stanzaErrorReply(stanza: Element, type: StanzaErrorType, condition: string, text?: string): Element {
  const attrs: Record<string, string> = { type: 'error' };
  if (stanza.attrs.id !== undefined) attrs.id = stanza.attrs.id;
  if (stanza.attrs.from) attrs.to = stanza.attrs.from;
  if (stanza.attrs.to) attrs.from = stanza.attrs.to;
  const reply = new Element(stanza.name, attrs);
  const error = reply.c('error', { type });
  error.c(condition, { xmlns: NS.stanzas });
  if (text) error.c('text', { xmlns: NS.stanzas }).t(text);
  return reply;
}
