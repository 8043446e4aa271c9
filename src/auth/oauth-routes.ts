// POST /oauth2/token (RFC 6749 §4.1.3, §4.3, §6): the authorization_code
// grant a claimed printer uses to get its robot credentials, refresh_token
// (rotating), and password (the CLI). POST /oauth2/revoke (RFC 7009).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { textField } from '../http/fields.ts';
import { nulField } from '../input-checks.ts';
import { AuthError, type Accounts, type TokenGrant } from './accounts.ts';

/** A request's parameter as text, from the body or else the query string. */
const paramOf = (request: FastifyRequest) => (name: string) => textField(request.body, name) ?? textField(request.query, name);

export function registerOAuthRoutes(app: FastifyInstance, accounts: Accounts): void {
  app.post('/oauth2/token', async (request, reply) => {
    const param = paramOf(request);
    const required = (name: string) => {
      const value = param(name);
      if (!value) throw new AuthError(`${name} is required`, 'invalid_request');
      return value;
    };
    const clientId = param('client_id') ?? null;
    try {
      const nul = nulField(request.body, request.query);
      if (nul !== undefined) throw new AuthError(`${nul} contains a NUL character`, 'invalid_request');
      let grant: TokenGrant;
      const grantType = param('grant_type');
      switch (grantType) {
        case 'authorization_code':
          grant = await accounts.exchangeCode(required('code'), clientId);
          break;
        case 'refresh_token':
          grant = await accounts.refresh(required('refresh_token'));
          break;
        case 'password': {
          const account = await accounts.checkPassword(required('username'), required('password'), request.ip);
          if (!account) throw new AuthError('wrong email or password', 'invalid_grant');
          grant = await accounts.issueGrant(account.id, clientId);
          break;
        }
        default:
          throw new AuthError(`grant_type "${grantType ?? ''}" is not supported`, grantType ? 'unsupported_grant_type' : 'invalid_request');
      }
      return reply.header('cache-control', 'no-store').send(grant);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const status = error.code === 'temporarily_unavailable' ? 429 : 400;
      if (error.retryAfterSeconds !== undefined) reply.header('retry-after', error.retryAfterSeconds);
      return reply.code(status).header('cache-control', 'no-store').send({ error: error.code, error_description: error.message });
    }
  });

  app.post('/oauth2/revoke', async (request, reply) => {
    const token = paramOf(request)('token');
    if (token) await accounts.revoke(token);
    return reply.code(200).send({});
  });
}
