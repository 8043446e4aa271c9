// XEP-0199 §4: answer pings sent to the server, to the sender's own account,
// and to services that live "behind" this server. The original connector
// pings `cloudprint.google.com`, the push channel, and needs the answer to come
// from there (GCP §c); with no server-to-server links,
// any foreign domain-only address is such a service.
import type { XmppModule } from '../server.ts';
import { NS } from '../namespaces.ts';
import { parseJid } from '../jid.ts';
import { iqResult } from '../stanza.ts';

export const pingModule: XmppModule = (server) => {
  server.handle(`iq-get/${NS.ping}:ping`, (iq, session) => {
    const to = iq.attrs.to === undefined ? undefined : parseJid(iq.attrs.to);
    const forUs = !to || (!to.local && !to.resource) || (!to.resource && to.local === session.local && to.domain === server.domain);
    if (!forUs) return false; // a ping to another client's JID is routed to it
    session.send(iqResult(iq));
    return true;
  });
};
