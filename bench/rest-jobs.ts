// `npm run bench -- rest-jobs [--warmup S] [--seconds N] [--concurrency N] [--max-jobs N]
//   [--document-bytes N] [--sync normal|full]`:
// cloud print job round trips over loopback HTTP against a real server on
// SQLite. Each job is three requests, as a connector makes them: submit
// (multipart, 4 KB document), fetch (the printer's QUEUED jobs), control
// (DONE). Each concurrent client drives its own claimed printer. The clients
// run in a child process, so the server's CPU time is measured on its own.
// The figures cover `--seconds` after `--warmup` seconds of the same load
// (default 5: a cold server and client take four to five seconds to reach
// their steady rate, starting at a third of it). Prints the figures as a
// final JSON line.
import { Session } from 'node:inspector/promises';
import { rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { defaultServerConfig } from '../src/config.ts';
import { silentLogger } from '../src/log.ts';
import { startServer } from '../src/server/index.ts';
import { createHttpApp, httpOptionsFrom } from '../src/server/http.ts';
import type { AddressInfo } from 'node:net';
import { tempDir } from '../test/helpers/server.ts';
import { createUser, registerAndClaim } from '../test/helpers/cloud.ts';
import type { ClientResult, ClientTask } from './_rest-jobs-client.ts';
import { JOB_LOAD_OPTIONS, jobFigures, jobLoadOf, runJobClients } from './lib/job-clients.ts';
import { fileCreateMicros, warnIfFileCreateSlow } from './lib/file-create-cost.ts';
import { cpuMsPer, cpuSecondsSince, round } from './lib/stats.ts';

const { values } = parseArgs({ options: { ...JOB_LOAD_OPTIONS, sync: { type: 'string', default: 'normal' } } });
const load = jobLoadOf(values);

interface Run {
  client: ClientResult;
  /** This (the server's) process over the client's measured window. */
  serverCpuSeconds: number;
  serverLoopBusy: number;
}

/** Runs the clients; `profiler`, if given, records the measured window. */
async function runClients(task: ClientTask, profiler?: Session): Promise<Run> {
  let cpuBefore = process.cpuUsage();
  let eluBefore = performance.eventLoopUtilization();
  const client = await runJobClients(task, () => {
    cpuBefore = process.cpuUsage();
    eluBefore = performance.eventLoopUtilization();
    void profiler?.post('Profiler.start');
  });
  return { client, serverCpuSeconds: cpuSecondsSince(cpuBefore), serverLoopBusy: performance.eventLoopUtilization(eluBefore).utilization };
}

const dataDir = tempDir('ocp-bench-');
const config = defaultServerConfig({ dataDir, host: '127.0.0.1', httpPort: 0, xmppPort: -1, xmppsPort: -1, ccsPort: -1, logLevel: 'silent', sync: values.sync === 'full' ? 'full' : 'normal' });
const server = await startServer(config, silentLogger());
try {
  const testServer = { ...server, dataDir, url: server.context.publicUrl, stop: async () => {} };
  const owner = await createUser(testServer, 'bench@example.com', 'benchmark password');
  const { concurrency, ...window } = load;
  const printers = [];
  for (let i = 0; i < concurrency; i++) printers.push(await registerAndClaim(testServer, owner, { name: `bench ${i}` }));
  const task: ClientTask = {
    mode: 'jobs',
    url: testServer.url,
    userToken: owner.token,
    printers: printers.map((p) => ({ id: p.printerId, robotToken: p.accessToken })),
    ...window,
  };
  // Calibration: the same HTTP stack and client with no work behind the route.
  const baseline = await createHttpApp(httpOptionsFrom(testServer.context.config, silentLogger()));
  baseline.post('/cloudprint/noop', async () => ({ success: true }));
  await baseline.listen({ host: '127.0.0.1', port: 0 });
  const baselineUrl = `http://127.0.0.1:${(baseline.server.address() as AddressInfo).port}`;
  const noop = await runClients({ ...task, mode: 'noop', url: baselineUrl, warmupSeconds: Math.min(2, task.warmupSeconds), seconds: Math.min(3, task.seconds) });
  await baseline.close();

  const fileCreateUs = fileCreateMicros(dataDir);
  warnIfFileCreateSlow(fileCreateUs);

  // REST_BENCH_PROFILE=FILE: a CPU profile of the server during the measured window only.
  const profiler = process.env.REST_BENCH_PROFILE ? new Session() : undefined;
  profiler?.connect();
  await profiler?.post('Profiler.enable');
  const run = await runClients(task, profiler);
  const result = run.client;
  if (profiler) writeFileSync(process.env.REST_BENCH_PROFILE!, JSON.stringify((await profiler.post('Profiler.stop')).profile));
  console.log(`${result.jobs} jobs (${result.jobs * 3} requests, ${result.errors} errors) in ${result.seconds.toFixed(2)} s with ${concurrency} clients`);
  console.log(
    JSON.stringify({
      bench: 'rest-jobs',
      ...jobFigures(result, run.serverCpuSeconds),
      requestsPerSecond: Math.round((result.jobs * 3) / result.seconds),
      serverLoopBusy: round(run.serverLoopBusy, 2),
      baselineEmptyRequestsPerSecond: Math.round(noop.client.jobs / noop.client.seconds),
      // What the HTTP stack alone costs, server and client: a job is three requests.
      baselineServerCpuMsPerRequest: cpuMsPer(noop.serverCpuSeconds, noop.client.jobs),
      baselineClientCpuMsPerRequest: cpuMsPer(noop.client.cpuSeconds, noop.client.jobs),
      fileCreateUs,
      concurrency,
      warmupSeconds: task.warmupSeconds,
      documentBytes: task.documentBytes,
      sync: config.sync,
      database: 'sqlite',
    }),
  );
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
