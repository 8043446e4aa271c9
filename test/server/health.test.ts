// /healthz, /readyz (database, bus, shutting down) and who may read /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/postgres.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { createUser, registerAndClaim, submitJob } from '../helpers/cloud.ts';

async function probe(server: TestServer, path: string): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${server.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

test('/healthz and /readyz answer 200; from the start of a shutdown /readyz answers 503 while /healthz stays 200', async () => {
  const server = await startTestServer({ shutdownDelaySeconds: 1 });
  assert.deepEqual(await probe(server, '/healthz'), { status: 200, body: { status: 'ok' } });
  assert.deepEqual(await probe(server, '/readyz'), { status: 200, body: { status: 'ready' } });
  const stopped = server.stop();
  try {
    assert.deepEqual(await probe(server, '/readyz'), { status: 503, body: { status: 'unavailable', problems: { server: 'shutting down' } } });
    assert.equal((await probe(server, '/healthz')).status, 200);
  } finally {
    await stopped;
  }
});

test('/readyz answers 503 naming the database when PostgreSQL is gone', async () => {
  const database = await createTestDatabase();
  const server = await startTestServer({ database: database.url });
  try {
    assert.equal((await probe(server, '/readyz')).status, 200);
    await database.drop();
    const { status, body } = await probe(server, '/readyz');
    assert.equal(status, 503);
    assert.deepEqual(Object.keys(body.problems), ['database']);
  } finally {
    await server.stop();
    await database.drop();
  }
});

test('/readyz answers 503 naming the bus when Redis is gone, and 200 again when it is back', async () => {
  const port = await freePort();
  const startRedis = () => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  let redis = startRedis();
  let server: TestServer | undefined;
  try {
    server = await waitFor('redis-server and the server', () => startTestServer({ bus: `redis://127.0.0.1:${port}`, readinessTimeoutSeconds: 1 }).catch(() => undefined), 15_000);
    assert.equal((await probe(server, '/readyz')).status, 200);
    redis.kill('SIGKILL');
    await once(redis, 'exit');
    const { status, body } = await probe(server, '/readyz');
    assert.equal(status, 503);
    assert.deepEqual(Object.keys(body.problems), ['bus']);
    redis = startRedis();
    const ready = server;
    await waitFor('/readyz ready again', async () => (await probe(ready, '/readyz')).status === 200, 20_000, 200);
  } finally {
    await server?.stop();
    if (redis.exitCode === null) {
      redis.kill('SIGKILL');
      await once(redis, 'exit');
    }
  }
});

test('/metrics: loopback callers only by default; with metrics-access token, the bearer token from any address', async () => {
  const loopbackOnly = await startTestServer();
  try {
    assert.equal((await fetch(`${loopbackOnly.url}/metrics`)).status, 200);
    assert.equal((await loopbackOnly.http.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.88.0.2' })).statusCode, 403);
  } finally {
    await loopbackOnly.stop();
  }
  const tokenFile = join(tempDir(), 'metrics.token');
  writeFileSync(tokenFile, 'a-scrape-token-of-some-length\n', { mode: 0o600 });
  const withToken = await startTestServer({ metricsAccess: 'token', metricsTokenFile: tokenFile });
  try {
    assert.equal((await fetch(`${withToken.url}/metrics`)).status, 403, 'loopback alone is not enough');
    const scrape = await withToken.http.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.88.0.2', headers: { authorization: 'Bearer a-scrape-token-of-some-length' } });
    assert.equal(scrape.statusCode, 200);
    assert.match(scrape.body, /ocp_process_cpu_seconds_total/);
    assert.equal((await withToken.http.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.88.0.2', headers: { authorization: 'Bearer wrong' } })).statusCode, 403);
  } finally {
    await withToken.stop();
  }
});


test('/metrics counts HTTP requests by route pattern and status with their latency, jobs by state and the bus state', async () => {
  const server = await startTestServer();
  try {
    const owner = await createUser(server);
    const printer = await registerAndClaim(server, owner);
    await submitJob(server, owner.token, printer.printerId);
    await submitJob(server, owner.token, printer.printerId);
    await fetch(`${server.url}/no/such/path/${'x'.repeat(10)}`);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^ocp_http_requests_total\{method="POST",route="\/cloudprint\/submit",status="200"\} 2$/m);
    assert.match(text, /^ocp_http_request_duration_seconds_count\{method="POST",route="\/cloudprint\/submit"\} 2$/m);
    assert.match(text, /^ocp_http_requests_total\{method="GET",route="unmatched",status="404"\} 1$/m);
    assert.doesNotMatch(text, /no\/such\/path/, 'URLs are not labels');
    assert.match(text, /^ocp_jobs\{state="QUEUED"\} 2$/m);
    assert.match(text, /^ocp_bus_up 1$/m);
  } finally {
    await server.stop();
  }
});
