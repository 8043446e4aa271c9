// `npm run bench -- ipp-jobs [--seconds N] [--warmup S] [--concurrency N]
//   [--document-bytes N] [--big-document-bytes N]`:
// IPP Print-Job of a small PDF (4 KB) from `--concurrency` clients over
// loopback, against `ocp server` (/ipp/print/ID, HTTP Basic with an API
// token) and, in the same run, against a private `cupsd` with a
// file:///dev/null queue: both rates and p99 latencies. Then one Print-Job
// of `--big-document-bytes` (1 GB) into `ocp server`, sampling the process's
// RSS, to show the streaming path holds no document in memory. The load is
// bounded by --seconds; the server runs in this process. Prints the figures
// as a final JSON line.
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { rmSync } from 'node:fs';
import { parseArgs, promisify } from 'node:util';
import { attr, encodeMessage, GroupTag, ipp } from '../src/ipp/codec.ts';
import { defaultServerConfig } from '../src/config.ts';
import { silentLogger } from '../src/log.ts';
import { startServer } from '../src/server/index.ts';
import { tempDir } from '../test/helpers/server.ts';
import { createUser, registerAndClaim } from '../test/helpers/cloud.ts';
import { startCups } from '../test/helpers/cups.ts';
import { percentile, round } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '4' },
    'document-bytes': { type: 'string', default: '4096' },
    'big-document-bytes': { type: 'string', default: String(1024 ** 3) },
  },
});
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const concurrency = Number(values.concurrency);
const documentBytes = Number(values['document-bytes']);
const bigDocumentBytes = Number(values['big-document-bytes']);

/** A PDF-looking document of `size` bytes (the server does not parse it; CUPS's raw queue neither). */
function pdfOf(size: number): Buffer {
  const head = Buffer.from('%PDF-1.4\n');
  return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length), 0x20)]);
}

function printJob(uri: string, document: Buffer | undefined): Buffer {
  const message = encodeMessage({
    version: { major: 2, minor: 0 }, code: 0x0002, requestId: 1,
    groups: [{ tag: GroupTag.operation, attributes: [
      attr('attributes-charset', ipp.charset('utf-8')), attr('attributes-natural-language', ipp.language('en')), attr('printer-uri', ipp.uri(uri)),
      attr('requesting-user-name', ipp.name('bench')), attr('job-name', ipp.name('bench')), attr('document-format', ipp.mime('application/pdf')),
    ] }],
  });
  return document ? Buffer.concat([message, document]) : message;
}

/** POSTs one IPP request; resolves with its IPP status code. */
function post(url: URL, agent: Agent, headers: Record<string, string>, body: Buffer | AsyncIterable<Buffer>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/ipp', ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const reply = Buffer.concat(parts);
        resolve(res.statusCode === 200 && reply.length >= 4 ? reply.readUInt16BE(2) : 0x10000 + (res.statusCode ?? 0));
      });
    });
    req.on('error', reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else void (async () => {
      for await (const chunk of body) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      req.end();
    })().catch(reject);
  });
}

interface Load {
  jobs: number;
  errors: number;
  jobsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** `concurrency` clients sending Print-Job back to back; warm-up first, then `seconds` measured. */
async function load(url: string, printerUri: string, headers: Record<string, string>): Promise<Load> {
  const body = printJob(printerUri, pdfOf(documentBytes));
  const target = new URL(url);
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  const start = Date.now();
  const measureFrom = start + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  const client = async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (Date.now() < end) {
      const sent = performance.now();
      const status = await post(target, agent, headers, body);
      measuring = Date.now() >= measureFrom;
      if (!measuring) continue;
      if (status > 0x00ff) errors++;
      else latencies.push(performance.now() - sent);
    }
    agent.destroy();
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return { jobs: latencies.length, errors, jobsPerSecond: Math.round(latencies.length / seconds), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) };
}

const run = promisify(execFile);
const dataDir = tempDir('ocp-bench-ipp-');
const config = defaultServerConfig({
  dataDir, host: '127.0.0.1', httpPort: 0, xmppPort: -1, xmppsPort: -1, ccsPort: -1, logLevel: 'silent',
  ippMaxQueuedJobs: 1e9, maxDocumentSize: bigDocumentBytes + 1024 ** 2,
});
const server = await startServer(config, silentLogger());
const cups = await startCups({ fileDevice: true });
try {
  const testServer = { ...server, dataDir, url: server.context.publicUrl, stop: async () => {} };
  const owner = await createUser(testServer, 'bench@example.com', 'benchmark password');
  const printer = await registerAndClaim(testServer, owner, { name: 'ipp bench' });
  // An API token: a password would cost a scrypt per request, as it should for a sign-in.
  const token = await server.context.accounts.issueApiToken(owner.id);
  const auth = { authorization: `Basic ${Buffer.from(`bench:${token}`).toString('base64')}` };
  const ocpUrl = `${testServer.url}/ipp/print/${printer.printerId}`;
  const ocp = await load(ocpUrl, ocpUrl.replace(/^http/, 'ipp'), auth);

  await run('lpadmin', ['-h', cups.server, '-p', 'null', '-E', '-v', 'file:///dev/null', '-m', 'raw']);
  const cupsUrl = `http://${cups.server}/printers/null`;
  const cupsd = await load(cupsUrl, `ipp://${cups.server}/printers/null`, {});

  // One big document through the streaming path, RSS sampled every 50 ms.
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const bigStarted = performance.now();
  const bigStatus = await post(new URL(ocpUrl), new Agent(), auth, (async function* () {
    yield printJob(ocpUrl.replace(/^http/, 'ipp'), undefined);
    yield Buffer.from('%PDF-1.4\n');
    for (let sent = 0; sent < bigDocumentBytes; sent += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, bigDocumentBytes - sent));
  })());
  const bigSeconds = (performance.now() - bigStarted) / 1000;
  clearInterval(sampler);

  console.log(`ocp server: ${ocp.jobsPerSecond} jobs/s, p99 ${ocp.p99Ms} ms; cupsd (file:///dev/null): ${cupsd.jobsPerSecond} jobs/s, p99 ${cupsd.p99Ms} ms; ${round(bigDocumentBytes / 1024 ** 3)} GB document: status 0x${bigStatus.toString(16)}, RSS growth ${round((rssPeak - rssBefore) / 1024 ** 2, 1)} MB`);
  console.log(JSON.stringify({
    bench: 'ipp-jobs',
    concurrency, seconds, documentBytes,
    ocp,
    cupsd,
    ocpVsCupsRate: round(ocp.jobsPerSecond / Math.max(1, cupsd.jobsPerSecond)),
    bigDocument: { bytes: bigDocumentBytes, status: bigStatus, seconds: round(bigSeconds), mbPerSecond: round(bigDocumentBytes / 1024 ** 2 / bigSeconds, 1), rssGrowthMb: round((rssPeak - rssBefore) / 1024 ** 2, 1) },
  }));
} finally {
  await cups.stop();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
