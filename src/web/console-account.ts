// The console's Account routes: the signed-in person's API tokens (the same
// tokens `ocp token create` makes) and the approval of an OAuth device code
// (RFC 8628 §3.3, through the DeviceCodes the /device page also uses).
//
// Like /console/session, every route wants the X-OCP-Console header and a
// same-host Origin (fromConsole), and the access token of a console sign-in:
// an API token cannot make or revoke API tokens, so a leaked one cannot
// outlive its own revocation by minting another.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, type Account, type Accounts } from '../auth/accounts.ts';
import { bearerToken } from '../auth/http-auth.ts';
import type { DeviceCodes } from '../auth/device-codes.ts';
import { textField } from '../http/fields.ts';
import { fromConsole } from './console-session.ts';

export const TOKENS_PATH = '/console/tokens';
export const DEVICE_APPROVAL_PATH = '/console/device';
const TOKEN_ID = /^[0-9a-f]{64}$/;
/** The longest API token name, in characters. */
export const TOKEN_NAME_MAX_LENGTH = 100;

export interface AccountRouteDependencies {
  accounts: Accounts;
  deviceCodes: DeviceCodes;
  /** API tokens an account may hold when creating one here (0 = unlimited), --console-api-tokens-per-account. */
  apiTokensPerAccount: number;
}

function refused(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error, message });
}

export function registerConsoleAccount(app: FastifyInstance, deps: AccountRouteDependencies): void {
  const { accounts, deviceCodes, apiTokensPerAccount } = deps;

  /** The person signed in to the console, or undefined after answering 403 or 401. */
  async function signedIn(request: FastifyRequest, reply: FastifyReply): Promise<Account | undefined> {
    if (!fromConsole(request)) {
      refused(reply, 403, 'forbidden', 'Console requests only');
      return undefined;
    }
    const token = bearerToken(request);
    const session = token ? await accounts.authenticateSession(token) : undefined;
    if (!session || session.account.kind !== 'user' || session.grant === null) {
      refused(reply, 401, 'unauthorized', 'Sign in again');
      return undefined;
    }
    return session.account;
  }

  app.get(TOKENS_PATH, async (request, reply) => {
    const account = await signedIn(request, reply);
    if (!account) return reply;
    return reply.header('cache-control', 'no-store').send({ tokens: await accounts.apiTokensOf(account.id) });
  });

  /** A new API token: its secret is in this answer and never again. */
  app.post(TOKENS_PATH, async (request, reply) => {
    const account = await signedIn(request, reply);
    if (!account) return reply;
    const name = (textField(request.body, 'name') ?? '').trim();
    if (!name) return refused(reply, 400, 'invalid_request', 'Give the token a name');
    if (name.length > TOKEN_NAME_MAX_LENGTH) return refused(reply, 400, 'invalid_request', `A token name has at most ${TOKEN_NAME_MAX_LENGTH} characters`);
    const created = await accounts.createApiToken(account.id, name, apiTokensPerAccount);
    if (!created) return refused(reply, 409, 'too_many_tokens', `You hold the most API tokens one account may (${apiTokensPerAccount}); revoke one first`);
    return reply.code(201).header('cache-control', 'no-store').send(created);
  });

  /** Revokes one of the caller's API tokens; XMPP sessions opened with it end. Another's id is 404, as an unknown one. */
  app.delete<{ Params: { id: string } }>(`${TOKENS_PATH}/:id`, async (request, reply) => {
    const account = await signedIn(request, reply);
    if (!account) return reply;
    // An id is a SHA-256 in hex: anything else (a NUL, which PostgreSQL refuses outright, among others) names no token.
    const { id } = request.params;
    if (!TOKEN_ID.test(id) || !(await accounts.revokeApiToken(account.id, id))) return refused(reply, 404, 'not_found', 'No such token of yours');
    return reply.header('cache-control', 'no-store').send({ revoked: true });
  });

  /** RFC 8628 §3.3: the person approves or denies the device request with this user code. */
  app.post(DEVICE_APPROVAL_PATH, async (request, reply) => {
    const account = await signedIn(request, reply);
    if (!account) return reply;
    const userCode = textField(request.body, 'user_code') ?? '';
    const action = textField(request.body, 'action');
    if (!userCode) return refused(reply, 400, 'invalid_request', 'Enter the code your device shows');
    if (action !== 'approve' && action !== 'deny') return refused(reply, 400, 'invalid_request', 'action must be approve or deny');
    try {
      if (!(await deviceCodes.decide(userCode, account.id, action === 'approve', request.ip))) {
        return refused(reply, 400, 'invalid_grant', 'That code is unknown, expired or already used. Check the code your device shows.');
      }
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', error.retryAfterSeconds);
      return refused(reply, 429, error.code, `Too many wrong codes. Try again in ${error.retryAfterSeconds ?? 60} s.`);
    }
    return reply.header('cache-control', 'no-store').send({ approved: action === 'approve' });
  });
}
