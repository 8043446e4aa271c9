// Broadcast presence (no `to`, RFC 6121 §4.2, §4.5) only marks the session
// available or unavailable with its priority: with no rosters there is no one
// to broadcast to. Directed presence is left to routing.
import type { XmppModule } from '../server.ts';

export const presenceModule: XmppModule = (server) => {
  server.handle('presence', (presence, session) => {
    if (presence.attrs.to !== undefined) return false;
    const type = presence.attrs.type;
    if (type === undefined) {
      // RFC 6121 §4.7.2.3: priority is an integer −128..127, 0 when absent.
      const priority = Number.parseInt(presence.getChildText('priority') ?? '0', 10);
      session.priority = Number.isFinite(priority) ? Math.max(-128, Math.min(127, priority)) : 0;
    } else if (type === 'unavailable') {
      session.priority = undefined;
    }
    return true;
  });
};
