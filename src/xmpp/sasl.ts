// SASL (RFC 6120 §6): mechanisms are small pluggable objects that decode the
// client's response into credentials; an Authenticator decides whether the
// credentials name an account. Only single-step mechanisms are needed here:
// PLAIN (RFC 4616) and Google's X-OAUTH2, which has PLAIN's layout with an
// OAuth2 access token as the password.

export interface SaslCredentials {
  /** Authorization identity; empty when the client acts as itself. */
  authzid: string;
  /** Authentication identity: the JID localpart, or a bare JID. */
  authcid: string;
  /** Password, access token or API key. */
  secret: string;
}

export interface SaslMechanism {
  readonly name: string;
  /** Decodes the (base64-decoded) client response; undefined when it is malformed. */
  decode(response: Buffer): SaslCredentials | undefined;
}

export interface AuthRequest {
  mechanism: string;
  credentials: SaslCredentials;
  /** Remote address of the connection. */
  address: string;
}

export interface AuthResult {
  /** The JID localpart the session is bound to. */
  local: string;
  /** The account that logged in, when it is one of `accounts`: modules read it from the session instead of looking it up again. */
  account?: SessionAccount;
  /** The credential the session logged in with, when it is one of `accounts`' tokens: the session ends when it is revoked. */
  credential?: SessionCredential;
}

/** A login token's grant (null for an API token) and hash. */
export interface SessionCredential {
  grant: string | null;
  tokenHash: string;
}

/** What a session keeps of its account (a few strings, not the whole row). */
export interface SessionAccount {
  id: string;
  kind: string;
}

export interface Authenticator {
  /** Offered in this order in `<mechanisms>`. */
  readonly mechanisms: readonly SaslMechanism[];
  authenticate(request: AuthRequest): Promise<AuthResult | undefined>;
}

/** `[authzid] NUL authcid NUL passwd` (RFC 4616 §2). */
function decodeNulSeparated(response: Buffer): SaslCredentials | undefined {
  const parts = response.toString('utf8').split('\0');
  if (parts.length !== 3) return undefined;
  const [authzid = '', authcid = '', secret = ''] = parts;
  if (!authcid || !secret) return undefined;
  return { authzid, authcid, secret };
}

export const PLAIN: SaslMechanism = { name: 'PLAIN', decode: decodeNulSeparated };
/** Google's X-OAUTH2, as the cloud print connector and GCP 2.0 devices sent it (GCP §c). */
export const X_OAUTH2: SaslMechanism = { name: 'X-OAUTH2', decode: decodeNulSeparated };
