// GET /metrics in the Prometheus text exposition format. Each capability
// registers its own metrics on the registry this returns. Who may read them
// is --metrics-access: loopback callers only (the default), holders of the
// bearer token in --metrics-token-file (Prometheus' bearer_token_file), or
// anyone.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError } from '../config.ts';
import { bearerCheck, fromLoopback } from './operator.ts';

export interface MetricsAccess {
  access: string;
  tokenFile: string | undefined;
}

function accessCheck({ access, tokenFile }: MetricsAccess): (request: FastifyRequest) => boolean {
  if (access === 'open') return () => true;
  if (access === 'loopback') return fromLoopback;
  if (!tokenFile) throw new ConfigError('metrics-access token needs --metrics-token-file');
  let token: string;
  try {
    token = readFileSync(tokenFile, 'utf8').trim();
  } catch (error) {
    throw new ConfigError(`metrics-token-file: ${(error as Error).message}`);
  }
  if (token.length < 16) throw new ConfigError('metrics-token-file: the token must be at least 16 characters');
  return bearerCheck(token);
}

export function registerMetricsRoute(http: FastifyInstance, access: MetricsAccess): Registry {
  const allowed = accessCheck(access);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ocp_' });
  http.get('/metrics', async (request, reply) => {
    if (!allowed(request)) return reply.code(403).send({ error: 'forbidden' });
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}
