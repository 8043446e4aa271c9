// The operator's handle on a running server: POST /ccs/admin/drain drains
// every app-server connection (§4.5), as `ocp ccs drain` asks. Only loopback
// callers holding the operator token (DATA/ccs-admin.token, readable by the
// server's user only, new on every start) are served.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { bearerToken } from '../../auth/http-auth.ts';
import { hashToken } from '../../auth/secrets.ts';
import type { AppServerHub } from '../service/appservers.ts';

export const ADMIN_TOKEN_FILE = 'ccs-admin.token';

function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

export function registerAdminRoutes(app: FastifyInstance, hub: AppServerHub, dataDir: string): void {
  const token = randomBytes(32).toString('base64url');
  writeFileSync(join(dataDir, ADMIN_TOKEN_FILE), token + '\n', { mode: 0o600 });
  const expected = Buffer.from(hashToken(token));

  app.post('/ccs/admin/drain', async (request, reply) => {
    const given = bearerToken(request);
    const authorized = given !== undefined && timingSafeEqual(Buffer.from(hashToken(given)), expected);
    if (!isLoopback(request.socket.remoteAddress ?? '') || !authorized) return reply.code(403).send({ error: 'forbidden' });
    const connections = hub.connectionCount();
    void hub.drainAll();
    return reply.send({ draining: connections });
  });
}
