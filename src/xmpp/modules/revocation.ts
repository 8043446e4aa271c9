// A session lives while its credentials do (docs/xmpp.md, "How long a session
// lives"): when the grant or token it logged in with is revoked, its account's
// tokens are revoked (a deleted printer's robot, src/cloud/routes/printers.ts)
// or its account is deleted, src/auth publishes a `credentials-revoked` event
// on the notification bus, and every node ends the sessions opened with them
// with a `not-authorized` stream error (RFC 6120 §4.9.3.12). The expiry of
// the access token a session logged in with does not end it.
import type { CredentialsRevokedNotification, NotificationBus } from '../../events/bus.ts';
import type { XmppModule } from '../server.ts';
import type { XmppSession } from '../session.ts';

/** Counter in XmppServer.stats.counters. */
export const SESSIONS_REVOKED = 'sessions_closed_revoked';

/** The keys a revocation can name a session by. */
function credentialKeys(session: XmppSession): string[] {
  const keys: string[] = [];
  if (session.account) keys.push(`account:${session.account.id}`);
  if (session.credential) {
    keys.push(`token:${session.credential.tokenHash}`);
    if (session.credential.grant) keys.push(`grant:${session.credential.grant}`);
  }
  return keys;
}

function revokedKeys(event: CredentialsRevokedNotification): string[] {
  const keys: string[] = [];
  if (event.accountId) keys.push(`account:${event.accountId}`);
  if (event.grant) keys.push(`grant:${event.grant}`);
  if (event.tokenHash) keys.push(`token:${event.tokenHash}`);
  return keys;
}

export function revocationModule(bus: NotificationBus): XmppModule {
  return (server) => {
    /** Bound sessions by each key that names them. */
    const sessions = new Map<string, Set<XmppSession>>();

    server.on('session-bound', (session) => {
      for (const key of credentialKeys(session)) {
        let set = sessions.get(key);
        if (!set) sessions.set(key, (set = new Set()));
        set.add(session);
      }
    });

    server.on('session-closed', (session) => {
      for (const key of credentialKeys(session)) {
        const set = sessions.get(key);
        if (set?.delete(session) && set.size === 0) sessions.delete(key);
      }
    });

    const unsubscribe = bus.subscribe((event) => {
      if (event.type !== 'credentials-revoked') return;
      for (const key of revokedKeys(event)) {
        for (const session of [...(sessions.get(key) ?? [])]) {
          if (session.closed) continue;
          session.close('not-authorized', 'the credentials of this session were revoked');
          server.count(SESSIONS_REVOKED);
        }
      }
    });
    server.once('closed', unsubscribe);
  };
}
