// `npm run bench -- rest-floor [--processes N] [rest-jobs' load options]`:
// rest-jobs' load, from the same client, against bench/lib/floor-server.ts,
// the least a Node.js server can do for the same print job (node:http,
// busboy, better-sqlite3, the document through a temporary file). It tells
// what this machine allows a Node.js server for rest-jobs, and so how far the
// real server is from that. `--processes N` shares the port among N
// node:cluster workers on one SQLite file. Prints the figures as a final JSON
// line; the server's CPU covers its primary and workers over the measured window.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tempDir } from '../test/helpers/server.ts';
import type { FloorClients } from './lib/floor-server.ts';
import { JOB_LOAD_OPTIONS, jobFigures, jobLoadOf, runJobClients } from './lib/job-clients.ts';
import { processTreeCpuSeconds } from './lib/server-process.ts';

const { values } = parseArgs({ options: { ...JOB_LOAD_OPTIONS, processes: { type: 'string', default: '1' } } });
const { concurrency, ...window } = jobLoadOf(values);
const processes = Number(values.processes);
if (!Number.isInteger(processes) || processes < 1) throw new Error(`--processes must be a whole number of at least 1, got ${values.processes}`);

const secret = () => randomBytes(24).toString('base64url');
const clients: FloorClients = { userToken: secret(), printers: Array.from({ length: concurrency }, () => ({ id: randomUUID(), robotToken: secret() })) };
const dataDir = tempDir('ocp-floor-');
const server = fork(new URL('./lib/floor-server.ts', import.meta.url), {
  execArgv: ['--import', 'tsx'],
  env: { ...process.env, OCP_FLOOR_DIR: dataDir, OCP_FLOOR_PROCESSES: String(processes), OCP_FLOOR_CLIENTS: JSON.stringify(clients) },
});
try {
  const [{ port }] = (await once(server, 'message')) as [{ port: number }];
  let cpuBefore = 0;
  const result = await runJobClients({ mode: 'jobs', url: `http://127.0.0.1:${port}`, ...clients, ...window }, () => (cpuBefore = processTreeCpuSeconds(server.pid!)));
  const serverCpuSeconds = processTreeCpuSeconds(server.pid!) - cpuBefore;
  console.log(`${result.jobs} jobs (${result.errors} errors) in ${result.seconds.toFixed(2)} s with ${concurrency} clients, ${processes} server process(es)`);
  console.log(
    JSON.stringify({
      bench: 'rest-floor',
      ...jobFigures(result, serverCpuSeconds),
      processes,
      concurrency,
      warmupSeconds: window.warmupSeconds,
      documentBytes: window.documentBytes,
    }),
  );
} finally {
  server.kill();
  rmSync(dataDir, { recursive: true, force: true });
}
