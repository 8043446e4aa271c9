// CloudJobRunner's download rules (src/client/cloud-jobs.ts) against a
// loopback HTTP server standing in for the cloud, which can stall or fail a
// download on purpose: a stall (no byte for the timeout) and a 5xx are tried
// again, a 404 is not, and a job whose document cannot be fetched ends
// ABORTED with DOWNLOAD_FAILURE (GCP §d); a job whose final state the cloud
// did not take is reported again when listed again, not printed again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CloudPrintApi } from '../../src/client/cloudprint-api.ts';
import { CloudJobRunner } from '../../src/client/cloud-jobs.ts';
import { silentLogger } from '../../src/log.ts';
import { tempDir } from '../helpers/server.ts';

const DOCUMENT = Buffer.alloc(256 * 1024, 'document ');
let server: Server;
let api: CloudPrintApi;
let spoolDir: string;
/** How each download attempt is answered, in order; then the whole document. */
let downloads: Array<(res: ServerResponse) => void> = [];
let attempts = 0;
let controls: Array<Record<string, unknown>> = [];
/** /control requests still to answer 503 (a node going away), before answering normally. */
let failingControls = 0;
const stalled = new Set<ServerResponse>();

before(async () => {
  spoolDir = tempDir('ocp-spool-');
  server = createServer((req, res) => {
    const path = new URL(req.url!, 'http://cloud').pathname;
    let body = '';
    req.on('data', (d) => (body += d)).on('end', () => {
      const json = (value: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (path === '/cloudprint/fetch') return json({ success: true, jobs: [{ id: 'job-1', fileUrl: '/cloudprint/download?id=job-1', contentType: 'application/pdf' }] });
      if (path === '/cloudprint/ticket') return json({ version: '1.0', print: {} });
      if (path === '/cloudprint/control') {
        if (failingControls > 0) {
          failingControls--;
          return res.writeHead(503, { 'content-type': 'application/json' }).end('{"success":false,"message":"draining"}');
        }
        controls.push(JSON.parse(new URLSearchParams(body).get('semantic_state_diff')!) as Record<string, unknown>);
        return json({ success: true });
      }
      if (path === '/cloudprint/download') {
        attempts++;
        const answer = downloads.shift();
        if (answer) return answer(res);
        return res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': DOCUMENT.length }).end(DOCUMENT);
      }
      res.writeHead(404).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  api = new CloudPrintApi({ cloudUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 5000 });
});

after(async () => {
  for (const res of stalled) res.destroy();
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
  rmSync(spoolDir, { recursive: true, force: true });
});

/** Runs one fetch of job-1 and returns what was printed (undefined if nothing). */
async function runOnce(): Promise<Buffer | undefined> {
  attempts = 0;
  controls = [];
  let printed: Buffer | undefined;
  const runner = new CloudJobRunner(api, 'printer-1', async (_job, _ticket, document) => {
    const chunks: Buffer[] = [];
    for await (const chunk of document) chunks.push(chunk as Buffer);
    printed = Buffer.concat(chunks);
    return { state: { type: 'DONE' } };
  }, silentLogger(), { spoolDir, timeoutMs: 300, downloadAttempts: 3, retryDelayMs: 10 });
  await runner.fetchAndPrint();
  return printed;
}

test('a download that stalls mid-body is tried again, and the whole document is printed', async () => {
  downloads = [
    (res) => {
      stalled.add(res);
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': DOCUMENT.length });
      res.write(DOCUMENT.subarray(0, 1000)); // and nothing more
    },
  ];
  const printed = await runOnce();
  assert.equal(attempts, 2);
  assert.ok(printed?.equals(DOCUMENT));
  assert.deepEqual(controls.at(-1), { state: { type: 'DONE' } });
  assert.deepEqual(readdirSync(spoolDir), []);
});

test('5xx answers are retried up to --download-attempts, then the job is ABORTED with DOWNLOAD_FAILURE', async () => {
  downloads = [0, 1, 2].map(() => (res: ServerResponse) => res.writeHead(503).end('busy'));
  assert.equal(await runOnce(), undefined);
  assert.equal(attempts, 3);
  assert.deepEqual(controls, [{ state: { type: 'ABORTED', device_action_cause: { error_code: 'DOWNLOAD_FAILURE' } } }]);
  assert.deepEqual(readdirSync(spoolDir), []);
});

test('a 404 is not retried: ABORTED with DOWNLOAD_FAILURE after one attempt', async () => {
  downloads = [(res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"success":false}')];
  assert.equal(await runOnce(), undefined);
  assert.equal(attempts, 1);
  assert.deepEqual(controls, [{ state: { type: 'ABORTED', device_action_cause: { error_code: 'DOWNLOAD_FAILURE' } } }]);
});

test('a printed job whose DONE the cloud did not take is not printed again when fetched again: its DONE is sent again', async () => {
  controls.splice(0);
  let prints = 0;
  const runner = new CloudJobRunner(api, 'printer-1', async (_job, _ticket, document) => {
    await document.toArray();
    prints++;
    return { state: { type: 'DONE' } };
  }, silentLogger(), { spoolDir, timeoutMs: 300, downloadAttempts: 3, retryDelayMs: 10 });
  failingControls = 1;
  await runner.fetchAndPrint();
  assert.equal(prints, 1);
  assert.equal(controls.length, 0, 'the DONE was refused');
  // The cloud lists the job again (it is not DONE there): reported, not printed.
  await runner.fetchAndPrint();
  assert.equal(prints, 1);
  assert.deepEqual(controls.map((diff) => (diff.state as { type: string }).type), ['DONE']);
});
