// The console's sign-in session. The access token lives in the page's memory
// only; the refresh token lives in an HttpOnly, SameSite=Strict cookie scoped
// to /console/session, so page script never sees it and no other route gets
// it. The page asks /console/session/refresh for a new access token when its
// own expires or the tab reloads: a session lasts as long as its refresh token
// (refresh tokens rotate, RFC 9700 §4.14.2, src/auth/accounts.ts).
//
// CSRF: the cookie is SameSite=Strict, and every route here also wants the
// header X-OCP-Console (a cross-site form cannot send one, and a cross-site
// fetch that does needs a CORS preflight this server never grants) and, when
// the browser sends Origin, one equal to this server's.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, type Accounts } from '../auth/accounts.ts';
import { callerOf } from '../auth/http-auth.ts';
import { textField } from '../http/fields.ts';
import { nulField } from '../input-checks.ts';

export const SESSION_PATH = '/console/session';
const REFRESH_COOKIE = 'ocp_console_refresh';
/** The OAuth client id of console grants (tokens presented by another client are refused). */
const CONSOLE_CLIENT_ID = 'ocp-console';
/** The longest cookie lifetime browsers keep (Chrome caps Max-Age at 400 days); the token itself does not expire. */
const COOKIE_MAX_AGE_SECONDS = 400 * 24 * 3600;
export const CONSOLE_HEADER = 'x-ocp-console';

export interface SessionDependencies {
  accounts: Accounts;
}

function cookieOf(request: FastifyRequest, name: string): string {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return '';
}

function setRefreshCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  const maxAge = token ? COOKIE_MAX_AGE_SECONDS : 0;
  reply.header('set-cookie', `${REFRESH_COOKIE}=${token}; Path=${SESSION_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`);
}

/**
 * Same-origin requests from the console's own script only (see the header).
 * Origin's host must be the Host the request came to; its scheme is not
 * compared, as a TLS-terminating proxy in front of us makes them differ.
 */
export function fromConsole(request: FastifyRequest): boolean {
  if (request.headers[CONSOLE_HEADER] !== '1') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.host;
  } catch {
    return false;
  }
}

function refused(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error, message });
}

export function registerConsoleSession(app: FastifyInstance, deps: SessionDependencies): void {
  const { accounts } = deps;
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith(SESSION_PATH) && !fromConsole(request)) return refused(reply, 403, 'forbidden', 'Console requests only');
  });
  // A NUL reaches no query (PostgreSQL refuses it with an error of its own).
  app.addHook('preHandler', async (request, reply) => {
    if (!request.url.startsWith('/console/')) return;
    const nul = nulField(request.body, request.query);
    if (nul !== undefined) return refused(reply, 400, 'invalid_request', `${nul} contains a NUL character`);
  });

  /** Sign in: email and password in, access token out, refresh token into the cookie. */
  app.post(SESSION_PATH, async (request, reply) => {
    const email = textField(request.body, 'email') ?? '';
    const password = textField(request.body, 'password') ?? '';
    if (!email || !password) return refused(reply, 400, 'invalid_request', 'Enter your email and password');
    try {
      const account = await accounts.checkPassword(email, password, request.ip);
      if (!account || account.kind !== 'user') return refused(reply, 401, 'invalid_grant', 'Wrong email or password');
      const grant = await accounts.issueGrant(account.id, CONSOLE_CLIENT_ID);
      setRefreshCookie(request, reply, grant.refresh_token);
      return reply.header('cache-control', 'no-store').send({ access_token: grant.access_token, expires_in: grant.expires_in, email: account.email });
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', error.retryAfterSeconds);
      return refused(reply, error.code === 'temporarily_unavailable' ? 429 : 400, error.code, error.message);
    }
  });

  /** A new access token (and a rotated refresh token) from the cookie. */
  app.post(`${SESSION_PATH}/refresh`, async (request, reply) => {
    const token = cookieOf(request, REFRESH_COOKIE);
    if (!token) return refused(reply, 401, 'signed_out', 'Not signed in');
    try {
      const grant = await accounts.refresh(token, CONSOLE_CLIENT_ID);
      const account = await accounts.authenticate(grant.access_token);
      if (grant.refresh_token) setRefreshCookie(request, reply, grant.refresh_token);
      return reply.header('cache-control', 'no-store').send({ access_token: grant.access_token, expires_in: grant.expires_in, email: account?.email ?? '' });
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      setRefreshCookie(request, reply, '');
      return refused(reply, 401, 'signed_out', 'Your session ended; sign in again');
    }
  });

  /**
   * Sign out: this session's grant, or with everywhere=true every refresh
   * token of the account (the access token says whose): every console and CLI
   * session ends when its access token expires; API tokens stay.
   */
  app.post(`${SESSION_PATH}/end`, async (request, reply) => {
    const token = cookieOf(request, REFRESH_COOKIE);
    if (textField(request.body, 'everywhere') === 'true') {
      const account = await callerOf(request, accounts);
      if (!account) return refused(reply, 401, 'unauthorized', 'Sign in again to sign out everywhere');
      await accounts.revokeRefreshTokens(account.id);
    } else if (token) {
      await accounts.revoke(token);
    }
    setRefreshCookie(request, reply, '');
    return reply.header('cache-control', 'no-store').send({ signed_out: true });
  });
}
