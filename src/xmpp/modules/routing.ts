// Delivery between sessions of this server (RFC 6121 §8.5, local domain
// only; there are no server-to-server links, RFC 6120 §10.4).
import type { Element } from 'ltx';
import type { XmppModule, XmppServer } from '../server.ts';
import type { XmppSession } from '../session.ts';
import { bareJid, parseJid } from '../jid.ts';
import { stanzaErrorReply } from '../stream-error.ts';

/** Sessions of a bare JID that are available with a non-negative priority (RFC 6121 §8.5.2.1.1). */
function availableResources(server: XmppServer, bare: string): XmppSession[] {
  const sessions = server.sessionsOf(bare);
  return sessions ? [...sessions.values()].filter((s) => s.priority !== undefined && s.priority >= 0) : [];
}

function bounce(stanza: Element, session: XmppSession, condition: string): void {
  const type = stanza.attrs.type;
  if (type !== 'error' && type !== 'result') session.send(stanzaErrorReply(stanza, 'cancel', condition));
}

/** §8.5.2: to a bare JID of this server. */
function toBareJid(server: XmppServer, stanza: Element, session: XmppSession, bare: string): void {
  const kind = stanza.getName();
  const type = stanza.attrs.type;
  if (kind === 'iq') {
    // §8.5.2.1.3: the server answers on the account's behalf.
    return bounce(stanza, session, 'service-unavailable');
  }
  const targets = availableResources(server, bare);
  if (kind === 'presence') {
    for (const target of targets) target.send(stanza);
    return;
  }
  if (type === 'groupchat') return bounce(stanza, session, 'service-unavailable');
  if (type === 'error') return;
  for (const target of targets) target.send(stanza);
  // §8.5.2.2.1: no available resource and no offline storage → service-unavailable.
  if (targets.length === 0 && type !== 'headline') bounce(stanza, session, 'service-unavailable');
}

function route(server: XmppServer, stanza: Element, session: XmppSession): boolean {
  const to = stanza.attrs.to === undefined ? undefined : parseJid(stanza.attrs.to);
  if (!to || (!to.local && to.domain === server.domain)) return false; // for the server itself
  if (to.domain !== server.domain) {
    if (stanza.getName() !== 'presence') bounce(stanza, session, 'remote-server-not-found');
    return true;
  }
  const bare = bareJid(to);
  if (!to.resource) {
    toBareJid(server, stanza, session, bare);
    return true;
  }
  const target = server.sessionOf(`${bare}/${to.resource}`);
  if (target) {
    target.send(stanza);
    return true;
  }
  // §8.5.3.2: no such resource.
  const kind = stanza.getName();
  const type = stanza.attrs.type ?? 'normal';
  if (kind === 'message' && (type === 'normal' || type === 'chat')) toBareJid(server, stanza, session, bare);
  else if (kind === 'iq') bounce(stanza, session, 'service-unavailable');
  return true;
}

export const routingModule: XmppModule = (server) => {
  for (const kind of ['message', 'presence', 'iq']) server.handle(kind, (stanza, session) => route(server, stanza, session));
};
