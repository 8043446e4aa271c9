// GET /metrics in the Prometheus text exposition format. Each capability
// registers its own metrics on the registry this returns; this module adds
// the HTTP requests by route (count and latency) and jobs by state
// state. Who may read them is --metrics-access: loopback callers only (the
// default), holders of the bearer token in --metrics-token-file (Prometheus'
// bearer_token_file), or anyone.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ConfigError } from '../config.ts';
import type { Db } from '../store/db.ts';
import type { NotificationBus } from '../events/bus.ts';
import { bearerCheck, fromLoopback } from './operator.ts';

export interface MetricsAccess {
  access: string;
  tokenFile: string | undefined;
}

/** Latency buckets (seconds) from a cached read to a large upload. */
const LATENCY_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

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

/** Requests by method, route pattern (not the URL: bounded) and status, and their latency. */
function countRequests(http: FastifyInstance, registry: Registry): void {
  const requests = new Counter({ name: 'ocp_http_requests_total', help: 'HTTP requests answered, by method, route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const latency = new Histogram({ name: 'ocp_http_request_duration_seconds', help: 'HTTP request latency, by method and route', labelNames: ['method', 'route'], buckets: LATENCY_BUCKETS, registers: [registry] });
  http.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: reply.statusCode });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}

export function registerMetricsRoute(http: FastifyInstance, access: MetricsAccess): Registry {
  const allowed = accessCheck(access);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ocp_' });
  countRequests(http, registry);
  http.get('/metrics', async (request, reply) => {
    if (!allowed(request)) return reply.code(403).send({ error: 'forbidden' });
    reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
  return registry;
}

/** Jobs by state, read from the store when scraped (the bus's ocp_bus_up is src/events/metrics.ts). */
export function registerServiceMetrics(registry: Registry, sources: { db: Db }): void {
  new Gauge({
    name: 'ocp_jobs',
    help: 'Print jobs in the store, by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const rows = await sources.db.selectFrom('jobs').select(['status', (eb) => eb.fn.countAll<number>().as('count')]).groupBy('status').execute();
      this.reset();
      for (const row of rows) this.set({ state: row.status }, Number(row.count));
    },
  });
}
