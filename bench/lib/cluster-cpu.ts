// CPU time a cluster (test/helpers/cluster.ts) spends over a measured phase,
// by role, read from /proc (user + system): the `ocp server` nodes together,
// HAProxy, redis-server, and the PostgreSQL backends serving the cluster's
// database (found in pg_stat_activity; a backend opened during the phase
// counts in full, one closed during it is lost).
import pg from 'pg';
import type { Cluster } from '../../test/helpers/cluster.ts';
import { cpuSecondsOf } from './server-process.ts';

export interface CpuByRole {
  servers: number;
  haproxy: number;
  redis: number;
  postgres: number;
}

type Snapshot = Record<keyof CpuByRole, Map<number, number>> & { at: number };

/** CPU seconds by role over `seconds` of wall-clock time. */
export interface CpuUsed {
  cpu: CpuByRole;
  /** The `ocp server` processes' CPU seconds one by one, in the cluster's node order. */
  byNode: number[];
  seconds: number;
}

/** CPU seconds of each living process, 0 for one already gone. */
function read(pids: number[]): Map<number, number> {
  const seconds = new Map<number, number>();
  for (const pid of pids) {
    try {
      seconds.set(pid, cpuSecondsOf(pid));
    } catch {
      // ended since it was listed
    }
  }
  return seconds;
}

const ROLES = ['servers', 'haproxy', 'redis', 'postgres'] as const;

/** Applies `f` to each role's figure. */
export function byRole(f: (role: keyof CpuByRole) => number): CpuByRole {
  return Object.fromEntries(ROLES.map((role) => [role, f(role)])) as unknown as CpuByRole;
}

/**
 * µs of CPU per message by role over a phase: as measured, and net of what
 * the setup spends idle (`idle`, CPU seconds per second: health checks,
 * timers) over as long as the phase lasted.
 */
export function perMessage({ cpu, byNode, seconds }: CpuUsed, messages: number, idle: CpuByRole): { cpuUsPerMessage: CpuByRole; netCpuUsPerMessage: CpuByRole; serverCpuUsPerMessageByNode: number[] } {
  const us = (cpuSeconds: number) => Math.round((cpuSeconds * 1e6) / Math.max(1, messages));
  return {
    cpuUsPerMessage: byRole((role) => us(cpu[role])),
    netCpuUsPerMessage: byRole((role) => us(cpu[role] - idle[role] * seconds)),
    serverCpuUsPerMessageByNode: byNode.map(us),
  };
}

export class ClusterCpu {
  private constructor(
    private readonly cluster: Cluster,
    private readonly postgres: pg.Client,
  ) {}

  static async of(cluster: Cluster): Promise<ClusterCpu> {
    const client = new pg.Client({ connectionString: cluster.database.url });
    // A run cut short drops the database WITH (FORCE) under this connection.
    client.on('error', () => {});
    await client.connect();
    return new ClusterCpu(cluster, client);
  }

  private async postgresBackends(): Promise<number[]> {
    const { rows } = await this.postgres.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    return rows.map((row) => row.pid);
  }

  async snapshot(): Promise<Snapshot> {
    return {
      at: performance.now(),
      servers: read(this.cluster.nodes.map((node) => node.child.pid!)),
      haproxy: read([this.cluster.pids.haproxy]),
      redis: read([this.cluster.pids.redis]),
      postgres: read(await this.postgresBackends()),
    };
  }

  /** CPU seconds by role since `before` (a snapshot), and the wall-clock seconds between. */
  async since(before: Snapshot): Promise<CpuUsed> {
    const after = await this.snapshot();
    const used = (role: keyof CpuByRole) => [...after[role]].reduce((sum, [pid, seconds]) => sum + seconds - (before[role].get(pid) ?? 0), 0);
    const byNode = [...after.servers].map(([pid, seconds]) => seconds - (before.servers.get(pid) ?? 0));
    return { cpu: { servers: used('servers'), haproxy: used('haproxy'), redis: used('redis'), postgres: used('postgres') }, byNode, seconds: (after.at - before.at) / 1000 };
  }

  close(): Promise<void> {
    return this.postgres.end();
  }
}
