// Devices have no contacts: a roster get (RFC 6121 §2.1.3) is answered with an
// empty roster so that clients which always fetch it (slixmpp) carry on.
import { Element } from 'ltx';
import type { XmppModule } from '../server.ts';
import { NS } from '../namespaces.ts';
import { addressedToServer, iqResult } from '../stanza.ts';

export const emptyRosterModule: XmppModule = (server) => {
  server.handle(`iq-get/${NS.roster}:query`, (iq, session) => {
    if (!addressedToServer(iq, server) && iq.attrs.to !== session.bareJid) return false;
    session.send(iqResult(iq, new Element('query', { xmlns: NS.roster })));
    return true;
  });
};
