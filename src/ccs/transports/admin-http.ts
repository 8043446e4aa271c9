// The operator's handle on a running server: POST /ccs/admin/drain drains
// every app-server connection (§4.5), as `ocp ccs drain` asks. Only operators
// (src/server/operator.ts: loopback, with DATA/admin.token) are served.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppServerHub } from '../service/appservers.ts';

export function registerAdminRoutes(app: FastifyInstance, hub: AppServerHub, isOperator: (request: FastifyRequest) => boolean): void {
  app.post('/ccs/admin/drain', async (request, reply) => {
    if (!isOperator(request)) return reply.code(403).send({ error: 'forbidden' });
    const connections = hub.connectionCount();
    void hub.drainAll();
    return reply.send({ draining: connections });
  });
}
