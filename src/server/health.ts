// Probes for supervisors and load balancers. GET /healthz: the process
// answers (liveness). GET /readyz: this node can serve, i.e. its database
// answers and, with a shared bus, the bus does; from the moment a shutdown
// begins it answers 503 so that traffic moves elsewhere before the
// listeners close (readiness).
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';
import type { NotificationBus } from '../events/bus.ts';

export interface HealthOptions {
  db: Db;
  bus: NotificationBus;
  /** How long each readiness check may take before it counts as failed. */
  timeoutMs: number;
}

function withTimeout(work: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work.then(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

export class Health {
  /** Set when a shutdown begins; never cleared. */
  draining = false;

  constructor(private readonly options: HealthOptions) {}

  /** Each dependency's problem, empty when ready. */
  async problems(): Promise<Record<string, string>> {
    const { db, bus, timeoutMs } = this.options;
    const found: Record<string, string> = {};
    if (this.draining) found.server = 'shutting down';
    const checks = {
      database: withTimeout(sql`select 1`.execute(db), timeoutMs, 'the database'),
      bus: withTimeout(bus.check(), timeoutMs, 'the bus'),
    };
    for (const [name, check] of Object.entries(checks)) {
      await check.catch((error: Error) => (found[name] = error.message));
    }
    return found;
  }

  register(http: FastifyInstance): void {
    http.get('/healthz', async () => ({ status: 'ok' }));
    http.get('/readyz', async (_request, reply) => {
      const problems = await this.problems();
      if (Object.keys(problems).length) return reply.code(503).send({ status: 'unavailable', problems });
      return { status: 'ready' };
    });
  }
}
