// Small helpers for building replies to stanzas.
import { Element } from 'ltx';
import type { SessionHost } from './session-host.ts';
import { parseJid } from './jid.ts';

/**
 * The result of an IQ request (RFC 6120 §8.2.3): same id, `to` = the sender
 * (its full JID, stamped by the server), `from` = whom the request was sent to.
 */
export function iqResult(request: Element, payload?: Element): Element {
  const attrs: Record<string, string> = { type: 'result', id: request.attrs.id ?? '' };
  if (request.attrs.from) attrs.to = request.attrs.from;
  if (request.attrs.to) attrs.from = request.attrs.to;
  const reply = new Element('iq', attrs);
  if (payload) reply.cnode(payload);
  return reply;
}

/** True when a stanza is addressed to the server itself: no `to`, or the bare domain. */
export function addressedToServer(stanza: Element, server: Pick<SessionHost, 'domain'>): boolean {
  const to = stanza.attrs.to;
  if (to === undefined) return true;
  const jid = parseJid(to);
  return jid !== undefined && !jid.local && !jid.resource && jid.domain === server.domain;
}
