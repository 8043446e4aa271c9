// Who is calling: the bearer token of a request. Real clients send both
// `Authorization: Bearer T` (the Go connector, via golang.org/x/oauth2) and
// `Authorization: OAuth T` (Chrome's connector) [GCP §a].
import type { FastifyRequest } from 'fastify';
import type { Account, Accounts } from './accounts.ts';

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The calling account, or undefined for an anonymous or invalid token. */
export async function callerOf(request: FastifyRequest, accounts: Accounts): Promise<Account | undefined> {
  const token = bearerToken(request);
  return token ? accounts.authenticate(token) : undefined;
}
