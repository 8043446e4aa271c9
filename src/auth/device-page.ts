// The device flow's verification page (RFC 8628 §3.3), verification_uri:
// the user enters the code their device shows and approves or denies it,
// signing in with email and password on the same form unless the page's
// session cookie already signs them in. No script: plain forms.
//
// CSRF: every form carries a fresh random token that must equal the one in
// the page's cookie (double submit; the cookie is HttpOnly, SameSite=Strict
// and scoped to this path), so another site cannot post an approval with the
// user's session. The session cookie holds an access token of the user; it
// lasts --access-token-ttl and works only on this page.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, type Account, type Accounts } from './accounts.ts';
import type { DeviceCodes } from './device-codes.ts';
import { DEVICE_VERIFICATION_PATH } from './oauth-routes.ts';
import { newSecret } from './secrets.ts';
import { textField } from '../http/fields.ts';
import { escape, page } from '../http/html-page.ts';

const CSRF_COOKIE = 'ocp_device_csrf';
const SESSION_COOKIE = 'ocp_device_session';
const WEB_CLIENT_ID = 'ocp-device-page';
const TITLE = 'Connect a device';

/** A query or form field as text; absent, repeated or not a string, it is empty. */
const field = (source: unknown, name: string): string => textField(source, name) ?? '';

function cookieOf(request: FastifyRequest, name: string): string {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return '';
}

function setCookie(reply: FastifyReply, request: FastifyRequest, name: string, value: string, maxAgeSeconds: number): void {
  const secure = request.protocol === 'https' ? '; Secure' : '';
  const cookie = `${name}=${value}; Path=${DEVICE_VERIFICATION_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
  const previous = reply.getHeader('set-cookie');
  reply.header('set-cookie', [...(Array.isArray(previous) ? previous : previous ? [String(previous)] : []), cookie]);
}

function sameSecret(a: string, b: string): boolean {
  return a.length > 0 && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export function registerDevicePage(app: FastifyInstance, accounts: Accounts, deviceCodes: DeviceCodes): void {
  async function signedIn(request: FastifyRequest): Promise<Account | undefined> {
    const token = cookieOf(request, SESSION_COOKIE);
    const account = token ? await accounts.authenticate(token) : undefined;
    return account?.kind === 'user' ? account : undefined;
  }

  /** The form, with a fresh CSRF token in it and in the cookie. */
  function form(request: FastifyRequest, reply: FastifyReply, user: Account | undefined, userCode: string, message = '', status = 200): FastifyReply {
    const csrf = newSecret();
    setCookie(reply, request, CSRF_COOKIE, csrf, 3600);
    const signIn = user
      ? `<p>Signed in as ${escape(user.email ?? '')}.</p>`
      : `<label>Email <input name="email" type="email" required autocomplete="username"></label>
<label>Password <input name="password" type="password" required autocomplete="current-password"></label>`;
    return page(
      reply,
      TITLE,
      `${message ? `<p role="alert">${escape(message)}</p>` : ''}
<p>Enter the code your device shows to let it print as you.</p>
<form method="post" action="${DEVICE_VERIFICATION_PATH}">
<input type="hidden" name="csrf" value="${csrf}">
<label>Code <input name="user_code" value="${escape(userCode)}" required autocomplete="off" autocapitalize="characters"></label>
${signIn}
<button name="action" value="approve">Allow</button> <button name="action" value="deny">Deny</button></form>`,
      status,
    );
  }

  app.get(DEVICE_VERIFICATION_PATH, async (request, reply) => form(request, reply, await signedIn(request), field(request.query, 'user_code')));

  app.post(DEVICE_VERIFICATION_PATH, async (request, reply) => {
    const userCode = field(request.body, 'user_code');
    let user = await signedIn(request);
    if (!sameSecret(field(request.body, 'csrf'), cookieOf(request, CSRF_COOKIE))) {
      return form(request, reply, user, userCode, 'This form expired. Please submit it again.', 403);
    }
    const action = field(request.body, 'action');
    if (action !== 'approve' && action !== 'deny') return form(request, reply, user, userCode, 'Choose Allow or Deny.', 400);
    try {
      if (!user) {
        user = await accounts.checkPassword(field(request.body, 'email'), field(request.body, 'password'), request.ip);
        if (!user) return form(request, reply, undefined, userCode, 'Wrong email or password.', 401);
        const session = await accounts.issueAccessToken(user.id, WEB_CLIENT_ID);
        setCookie(reply, request, SESSION_COOKIE, session.access_token, session.expires_in);
      }
      const approve = action === 'approve';
      if (!(await deviceCodes.decide(userCode, user.id, approve, request.ip))) {
        return form(request, reply, user, userCode, 'That code is unknown, expired or already used. Check the code your device shows.', 400);
      }
      return page(reply, approve ? 'Device connected' : 'Device refused', approve ? '<p>Your device is signed in as you. You can close this page.</p>' : '<p>The device was refused. You can close this page.</p>');
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return form(request, reply, user, userCode, `Too many tries. Try again in ${error.retryAfterSeconds ?? 60} s.`, 429);
    }
  });
}
