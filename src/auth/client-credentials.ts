// Which client calls the token endpoint. The original clients put their
// credentials in each of the three places in use: an HTTP Basic header
// (golang.org/x/oauth2, RFC 6749 §2.3.1), the form body (RFC 6749 §2.3.1's
// alternative; the reference connector's device flow) or the query string
// (older device firmware). All three are read, for every grant type. No
// client is registered here, so a client_secret is accepted and not checked:
// the client id only binds a code or token to the client it was issued to.
import type { FastifyRequest } from 'fastify';
import { textField } from '../http/fields.ts';
import { AuthError } from './accounts.ts';

export interface ClientCredentials {
  clientId: string | null;
}

/**
 * RFC 6749 §2.3.1: `Authorization: Basic base64(id ":" secret)`, where id
 * and secret were each form-urlencoded first. Undefined without a Basic header.
 */
function basicClientId(request: FastifyRequest): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new AuthError('the Basic authorization header holds no "client_id:client_secret"', 'invalid_request');
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    throw new AuthError('the Basic authorization header\'s client id is not form-urlencoded', 'invalid_request');
  }
}

/** The client id of a token-endpoint request, wherever it sits; two different ones are invalid_request. */
export function clientCredentialsOf(request: FastifyRequest): ClientCredentials {
  const placed = [basicClientId(request), textField(request.body, 'client_id'), textField(request.query, 'client_id')].filter((id): id is string => !!id);
  const distinct = new Set(placed);
  if (distinct.size > 1) throw new AuthError('the request names more than one client_id', 'invalid_request');
  return { clientId: placed[0] ?? null };
}
