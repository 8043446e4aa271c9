// Who may use a running server's operator endpoints (POST /ccs/admin/drain,
// GET /admin/status) and, when so configured, /metrics: loopback callers, and
// callers holding a bearer token. The operator token is new on every start
// and written to DATA/admin.token, readable by the server's user only, which
// is how `ocp ccs drain` and `ocp status` on the same machine find it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyRequest } from 'fastify';
import { bearerToken } from '../auth/http-auth.ts';
import { hashToken } from '../auth/secrets.ts';

export const OPERATOR_TOKEN_FILE = 'admin.token';

export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/** Whether the client is on this machine: request.ip, so a client a load balancer on this machine forwards (--trusted-proxies) is not. */
export function fromLoopback(request: FastifyRequest): boolean {
  return isLoopback(request.ip);
}

/** A check of the request's bearer token against `token`, in constant time. */
export function bearerCheck(token: string): (request: FastifyRequest) => boolean {
  const expected = Buffer.from(hashToken(token));
  return (request) => {
    const given = bearerToken(request);
    return given !== undefined && timingSafeEqual(Buffer.from(hashToken(given)), expected);
  };
}

/** Writes a new operator token to DATA/admin.token; the returned check admits loopback callers holding it. */
export function createOperatorAccess(dataDir: string): (request: FastifyRequest) => boolean {
  const token = randomBytes(32).toString('base64url');
  writeFileSync(join(dataDir, OPERATOR_TOKEN_FILE), token + '\n', { mode: 0o600 });
  const holdsToken = bearerCheck(token);
  return (request) => fromLoopback(request) && holdsToken(request);
}
