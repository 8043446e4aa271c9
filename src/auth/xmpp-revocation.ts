// A session lives while its credentials do (docs/xmpp.md, "How long a session
// lives"): when the grant or token it logged in with is revoked, its account's
// tokens are revoked (a deleted printer's robot, src/cloud/routes/printers.ts)
// or its account is deleted, it ends with a `not-authorized` stream error
// (RFC 6120 §4.9.3.12). The expiry of the access token it logged in with does
// not end it.
//
// Two ways to learn of a revocation: src/auth publishes a
// `credentials-revoked` event on the notification bus, so every node ends
// the sessions it names at once; and every `checkIntervalMs` the sessions'
// credentials are checked against the store, for what changed outside the
// server (`ocp user delete`, `ocp token revoke`) or while the bus was down.
//
// It lives in src/auth beside the authenticator that lets sessions in: the
// XMPP core knows that a session has an account and a credential, not what
// revokes them.
import type { Logger } from '../log.ts';
import type { CredentialsRevokedNotification, NotificationBus, PushDirectory, SessionCredentials } from '../events/bus.ts';
import type { XmppModule } from '../xmpp/server.ts';
import type { XmppSession } from '../xmpp/session.ts';

/** Counter in XmppServer.stats.counters. */
export const SESSIONS_REVOKED = 'sessions_closed_revoked';

export interface RevocationModuleOptions {
  bus: NotificationBus;
  /** Answers whether credentials still hold; without it only bus events end sessions. */
  directory?: Pick<PushDirectory, 'credentialsHold'>;
  /** How often the live sessions' credentials are checked against the store; 0 = never. */
  checkIntervalMs: number;
  log: Logger;
}

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

export function revocationModule(options: RevocationModuleOptions): XmppModule {
  return (server) => {
    /** Bound sessions by each key that names them. */
    const sessions = new Map<string, Set<XmppSession>>();
    /** Bound sessions that logged in with an account's token: what the periodic check covers. */
    const checked = new Map<XmppSession, SessionCredentials>();

    const end = (session: XmppSession) => {
      if (session.closed) return;
      session.close('not-authorized', 'the credentials of this session were revoked');
      server.count(SESSIONS_REVOKED);
    };

    server.on('session-bound', (session) => {
      for (const key of credentialKeys(session)) {
        let set = sessions.get(key);
        if (!set) sessions.set(key, (set = new Set()));
        set.add(session);
      }
      if (session.account && session.credential) checked.set(session, { accountId: session.account.id, ...session.credential });
    });

    server.on('session-closed', (session) => {
      for (const key of credentialKeys(session)) {
        const set = sessions.get(key);
        if (set?.delete(session) && set.size === 0) sessions.delete(key);
      }
      checked.delete(session);
    });

    const unsubscribe = options.bus.subscribe((event) => {
      if (event.type !== 'credentials-revoked') return;
      for (const key of revokedKeys(event)) for (const session of [...(sessions.get(key) ?? [])]) end(session);
    });

    let checking = false;
    const check = async (directory: Pick<PushDirectory, 'credentialsHold'>) => {
      if (checking || checked.size === 0) return;
      checking = true;
      try {
        const live = [...checked];
        const hold = await directory.credentialsHold(live.map(([, credentials]) => credentials));
        live.forEach(([session], index) => {
          if (!hold[index]) end(session);
        });
      } catch (error) {
        options.log.warn({ err: error }, 'xmpp: could not check the sessions\' credentials');
      } finally {
        checking = false;
      }
    };
    const directory = options.directory;
    const timer = directory && options.checkIntervalMs > 0 ? setInterval(() => void check(directory), options.checkIntervalMs).unref() : undefined;

    server.once('closed', () => {
      unsubscribe();
      clearInterval(timer);
    });
  };
}
