// The token endpoint, POST /oauth2/token (RFC 6749 §4.1.3, §4.3, §6; RFC 8628
// §3.4): the authorization_code grant a claimed printer uses to get its robot
// credentials, refresh_token, password (the CLI) and the device grant in its
// standard and Google's legacy spelling. Also at Google's old path
// /o/oauth2/token. The device authorization endpoint (RFC 8628 §3.1), also at
// Google's old path /o/oauth2/device/code. POST /oauth2/revoke (RFC 7009).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { textField } from '../http/fields.ts';
import { nulField } from '../input-checks.ts';
import { AuthError, type Accounts, type TokenGrant } from './accounts.ts';
import { clientCredentialsOf } from './client-credentials.ts';
import type { DeviceCodes } from './device-codes.ts';

/** RFC 8628 §3.4's grant type, and the one Google's device clients sent before it. */
const DEVICE_GRANT_TYPES = new Set(['urn:ietf:params:oauth:grant-type:device_code', 'http://oauth.net/grant_type/device/1.0']);

/** Where the user approves a device code (src/web/device-page.ts). */
export const DEVICE_VERIFICATION_PATH = '/device';

/** A request's parameter as text, from the body or else the query string. */
const paramOf = (request: FastifyRequest) => (name: string) => textField(request.body, name) ?? textField(request.query, name);

function authErrorReply(reply: FastifyReply, error: AuthError): FastifyReply {
  const status = error.code === 'temporarily_unavailable' ? 429 : 400;
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', error.retryAfterSeconds);
  return reply.code(status).header('cache-control', 'no-store').send({ error: error.code, error_description: error.message });
}

export function registerOAuthRoutes(app: FastifyInstance, accounts: Accounts, deviceCodes: DeviceCodes, publicUrl: () => string): void {
  async function token(request: FastifyRequest, reply: FastifyReply) {
    const param = paramOf(request);
    const required = (name: string) => {
      const value = param(name);
      if (!value) throw new AuthError(`${name} is required`, 'invalid_request');
      return value;
    };
    try {
      const nul = nulField(request.body, request.query);
      if (nul !== undefined) throw new AuthError(`${nul} contains a NUL character`, 'invalid_request');
      const { clientId } = clientCredentialsOf(request);
      let grant: TokenGrant;
      const grantType = param('grant_type');
      switch (grantType) {
        case 'authorization_code':
          grant = await accounts.exchangeCode(required('code'), clientId);
          break;
        case 'refresh_token':
          grant = await accounts.refresh(required('refresh_token'), clientId);
          break;
        case 'password': {
          const account = await accounts.checkPassword(required('username'), required('password'), request.ip);
          if (!account) throw new AuthError('wrong email or password', 'invalid_grant');
          grant = await accounts.issueGrant(account.id, clientId);
          request.log.info({ ip: request.ip, grant: 'password', account: account.id }, 'signed in');
          break;
        }
        default:
          if (grantType && DEVICE_GRANT_TYPES.has(grantType)) {
            // The legacy spelling carried the device code as `code`.
            grant = await deviceCodes.poll(param('device_code') ?? required('code'), clientId);
            request.log.info({ ip: request.ip, grant: 'device_code' }, 'signed in');
            break;
          }
          throw new AuthError(`grant_type "${grantType ?? ''}" is not supported`, grantType ? 'unsupported_grant_type' : 'invalid_request');
      }
      return reply.header('cache-control', 'no-store').send(grant);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return authErrorReply(reply, error);
    }
  }
  app.post('/oauth2/token', token);
  app.post('/o/oauth2/token', token);

  /** RFC 8628 §3.2, with Google's legacy `verification_url` beside `verification_uri`. */
  async function deviceCode(request: FastifyRequest, reply: FastifyReply) {
    try {
      const { clientId } = clientCredentialsOf(request);
      const started = await deviceCodes.start(clientId, paramOf(request)('scope') ?? null, request.ip);
      const verification = `${publicUrl()}${DEVICE_VERIFICATION_PATH}`;
      return reply.header('cache-control', 'no-store').send({
        device_code: started.deviceCode,
        user_code: started.userCode,
        verification_uri: verification,
        verification_url: verification,
        verification_uri_complete: `${verification}?user_code=${encodeURIComponent(started.userCode)}`,
        expires_in: started.expiresIn,
        interval: started.interval,
      });
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return authErrorReply(reply, error);
    }
  }
  app.post('/oauth2/device/code', deviceCode);
  app.post('/o/oauth2/device/code', deviceCode);

  app.post('/oauth2/revoke', async (request, reply) => {
    const token = paramOf(request)('token');
    if (token) await accounts.revoke(token);
    return reply.code(200).send({});
  });
}
