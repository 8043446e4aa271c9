// Accounts log in to the device-facing XMPP service with a token (RFC 6120 §6).
import type { Authenticator, SaslCredentials } from '../xmpp/index.ts';
import { PLAIN, X_OAUTH2 } from '../xmpp/index.ts';
import type { Accounts } from './accounts.ts';

/**
 * The identity a PLAIN-style login names: the authcid is a localpart or a
 * bare JID of `domain`; an authzid, if given, must be that same bare JID.
 */
function loginLocalpart(credentials: SaslCredentials, domain: string): string | undefined {
  const at = credentials.authcid.indexOf('@');
  const local = (at < 0 ? credentials.authcid : credentials.authcid.slice(0, at)).toLowerCase();
  if (at >= 0 && credentials.authcid.slice(at + 1).toLowerCase() !== domain) return undefined;
  if (credentials.authzid && credentials.authzid.toLowerCase() !== `${local}@${domain}`) return undefined;
  return local || undefined;
}

/**
 * Accounts log in with their JID localpart and an access or API token of the
 * same account, as the original robots did with their `xmpp_jid`. The
 * session lives while that token's grant does (see src/auth/xmpp-revocation.ts).
 */
export function accountsAuthenticator(accounts: Pick<Accounts, 'authenticateSession'>, domain: string): Authenticator {
  return {
    mechanisms: [PLAIN, X_OAUTH2],
    async authenticate({ credentials }) {
      const local = loginLocalpart(credentials, domain);
      if (!local) return undefined;
      const found = await accounts.authenticateSession(credentials.secret);
      if (!found || found.account.jid_local.toLowerCase() !== local) return undefined;
      const { account, grant, tokenHash } = found;
      return { local, account: { id: account.id, kind: account.kind }, credential: { grant, tokenHash } };
    },
  };
}
