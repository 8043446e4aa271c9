// GET /admin/status: what `ocp status` prints for a running server (version,
// uptime, connected devices, CCS sessions, queued work, bus and database
// state). Operators only (src/server/operator.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../store/db.ts';
import type { NotificationBus } from '../events/bus.ts';
import type { XmppServer } from '../xmpp/index.ts';
import type { Health } from './health.ts';
import { VERSION } from '../version.ts';

export interface StatusSources {
  db: Db;
  dialect: string;
  bus: NotificationBus;
  health: Health;
  isOperator: (request: FastifyRequest) => boolean;
  /** Filled in once the listeners are up. */
  nodeId?: string;
  xmpp?: XmppServer;
  appServerConnections?: () => number;
  ports?: Record<string, number>;
  publicUrl?: string;
}

export interface ServerStatus {
  /** --node-id, or the host name and HTTP port. */
  nodeId: string;
  version: string;
  pid: number;
  startedAt: string;
  uptimeSeconds: number;
  publicUrl: string | undefined;
  ports: Record<string, number>;
  /** Bound XMPP sessions (printers, connectors, CCS devices) and open connections, per listener. */
  xmpp: { sessions: Record<string, number>; connections: Record<string, number> };
  ccs: { appServerConnections: number; queuedDownstream: number };
  jobs: { queued: number; inProgress: number };
  database: { dialect: string; problem?: string };
  bus: { state: string; problem?: string };
  ready: boolean;
}

export function registerStatusRoute(http: FastifyInstance, sources: StatusSources): void {
  const startedAt = new Date();
  http.get('/admin/status', async (request, reply) => {
    if (!sources.isOperator(request)) return reply.code(403).send({ error: 'forbidden' });
    const problems = await sources.health.problems();
    let jobs = { queued: -1, inProgress: -1 };
    let queuedDownstream = -1;
    if (!problems.database) {
      const rows = await sources.db.selectFrom('jobs').select(['status', (eb) => eb.fn.countAll<number>().as('count')]).where('status', 'in', ['QUEUED', 'IN_PROGRESS']).groupBy('status').execute();
      const count = (status: string) => Number(rows.find((row) => row.status === status)?.count ?? 0);
      jobs = { queued: count('QUEUED'), inProgress: count('IN_PROGRESS') };
      const downstream = await sources.db.selectFrom('ccs_downstream').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirst();
      queuedDownstream = Number(downstream?.count ?? 0);
    }
    const status: ServerStatus = {
      nodeId: sources.nodeId ?? '',
      version: VERSION,
      pid: process.pid,
      startedAt: startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      publicUrl: sources.publicUrl,
      ports: sources.ports ?? {},
      xmpp: { sessions: { ...sources.xmpp?.stats.sessions }, connections: { ...sources.xmpp?.stats.connections } },
      ccs: { appServerConnections: sources.appServerConnections?.() ?? 0, queuedDownstream },
      jobs,
      database: { dialect: sources.dialect, ...(problems.database ? { problem: problems.database } : {}) },
      bus: { state: sources.bus.describe(), ...(problems.bus ? { problem: problems.bus } : {}) },
      ready: Object.keys(problems).length === 0,
    };
    return status;
  });
}
