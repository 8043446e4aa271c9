// POST /oauth2/token (RFC 6749 §4.1.3, §4.3, §6): the authorization_code
// grant a claimed printer uses to get its robot credentials, refresh_token
// (rotating), and password (the CLI). POST /oauth2/revoke (RFC 7009).
import type { FastifyInstance } from 'fastify';
import { AuthError, type Accounts, type TokenGrant } from './accounts.ts';

type Params = Record<string, string | undefined>;

/** The query and form fields that are single strings: a repeated field or a JSON number is no value. */
function textParams(...sources: unknown[]): Params {
  const params: Params = {};
  for (const source of sources) {
    for (const [name, value] of Object.entries((source ?? {}) as Record<string, unknown>)) params[name] = typeof value === 'string' ? value : undefined;
  }
  return params;
}

export function registerOAuthRoutes(app: FastifyInstance, accounts: Accounts): void {
  app.post('/oauth2/token', async (request, reply) => {
    const params = textParams(request.query, request.body);
    const clientId = params.client_id ?? null;
    try {
      let grant: TokenGrant;
      switch (params.grant_type) {
        case 'authorization_code':
          if (!params.code) throw new AuthError('code is required', 'invalid_request');
          grant = await accounts.exchangeCode(params.code, clientId);
          break;
        case 'refresh_token':
          if (!params.refresh_token) throw new AuthError('refresh_token is required', 'invalid_request');
          grant = await accounts.refresh(params.refresh_token);
          break;
        case 'password': {
          if (!params.username || !params.password) throw new AuthError('username and password are required', 'invalid_request');
          const account = await accounts.checkPassword(params.username, params.password, request.ip);
          if (!account) throw new AuthError('wrong email or password', 'invalid_grant');
          grant = await accounts.issueGrant(account.id, clientId);
          break;
        }
        default:
          throw new AuthError(`grant_type "${params.grant_type ?? ''}" is not supported`, params.grant_type ? 'unsupported_grant_type' : 'invalid_request');
      }
      return reply.header('cache-control', 'no-store').send(grant);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const status = error.code === 'temporarily_unavailable' ? 429 : 400;
      return reply.code(status).header('cache-control', 'no-store').send({ error: error.code, error_description: error.message });
    }
  });

  app.post('/oauth2/revoke', async (request, reply) => {
    const params = textParams(request.query, request.body);
    if (params.token) await accounts.revoke(params.token);
    return reply.code(200).send({});
  });
}
