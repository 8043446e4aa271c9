// How an admin command reaches the server running on a data directory: the
// HTTP port from DATA/ports.json, on loopback, with the operator token the
// server wrote to DATA (readable by the server's user only).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServerConfig } from '../config.ts';
import { OPERATOR_TOKEN_FILE } from '../server/operator.ts';
import { runningHolder } from '../server/data-lock.ts';

export interface RunningServerHandle {
  baseUrl: string;
  token: string;
}

function loopbackHost(host: string): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return reachable.includes(':') ? `[${reachable}]` : reachable;
}

export function findRunningServer(config: ServerConfig): RunningServerHandle {
  if (!runningHolder(config.dataDir)) {
    throw new Error(`no ocp server is running on ${config.dataDir}: start it, or point this command at its data with --data, OCP_DATA or --config`);
  }
  const ports = JSON.parse(readFileSync(join(config.dataDir, 'ports.json'), 'utf8')) as { http: number };
  const token = readFileSync(join(config.dataDir, OPERATOR_TOKEN_FILE), 'utf8').trim();
  return { baseUrl: `http://${loopbackHost(config.host)}:${ports.http}`, token };
}
