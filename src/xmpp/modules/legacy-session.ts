// The session IQ of RFC 3921 §3, obsolete since RFC 6121 but still sent by
// the original connector (which insists on the result's id, "1" there),
// xmpppy and go-xmpp: advertise it and always answer with a result.
import { Element } from 'ltx';
import type { XmppModule } from '../server.ts';
import { NS } from '../namespaces.ts';
import { iqResult } from '../stanza.ts';

export const legacySessionModule: XmppModule = (server) => {
  server.streamFeatures.push(new Element('session', { xmlns: NS.session }));
  server.handle(`iq-set/${NS.session}:session`, (iq, session) => {
    session.send(iqResult(iq));
    return true;
  });
};
