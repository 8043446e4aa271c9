// `npm run bench -- submitdoc [MB]`: streams a PDF of MB megabytes (default
// 1024) through /privet/printer/submitdoc of a real `ocp printer` into its
// output directory, durably (the reply comes after fsync), and measures in
// the same run the disk's own sequential write rate with
// `dd bs=1M count=1024 conv=fdatasync` into the same directory.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { seedRegistration, startPrinter, tempDir } from '../test/privet/helpers.ts';

const megabytes = Number(process.argv[2] ?? 1024);
const CHUNK = 1 << 20;

/** A structurally valid PDF whose one stream object holds `size` bytes of payload. */
function pdfStream(size: number): { stream: Readable; length: number } {
  const head = Buffer.from(`%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n3 0 obj\n<< /Length ${size} >>\nstream\n`);
  const objEnd = Buffer.from('\nendstream\nendobj\n');
  const xrefAt = head.length + size + objEnd.length;
  const tail = Buffer.from(`xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \ntrailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`);
  const payload = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i++) payload[i] = (i * 2654435761) >>> 24;
  let left = size;
  function* parts() {
    yield head;
    while (left > 0) {
      const n = Math.min(CHUNK, left);
      left -= n;
      yield n === CHUNK ? payload : payload.subarray(0, n);
    }
    yield objEnd;
    yield tail;
  }
  return { stream: Readable.from(parts(), { objectMode: false }), length: head.length + size + objEnd.length + tail.length };
}

function rssKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** User + system CPU seconds the process has used (/proc/PID/stat fields 14, 15). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function diskRate(dir: string): number {
  const file = join(dir, 'ddtest');
  const started = process.hrtime.bigint();
  execFileSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', 'count=1024', 'conv=fdatasync'], { stdio: 'ignore' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  rmSync(file, { force: true });
  return 1024 / seconds;
}

const dataDir = tempDir('ocp-bench-submitdoc-');
seedRegistration(dataDir);
const printer = await startPrinter({ dataDir, args: ['--no-mdns', '--log-level', 'warn', '--max-document-size', String(4 * 1024 ** 3)] });
try {
  const pid = printer.child.pid!;
  const token = await printer.token();
  // Warm up the code paths, then take the baseline.
  await printer.call('/privet/printer/submitdoc', { method: 'POST', body: pdfStreamBuffer(1 << 20), headers: { 'Content-Type': 'application/pdf' } });
  await new Promise((r) => setTimeout(r, 500));
  const baseline = rssKb(pid, 'VmRSS');
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKb(pid, 'VmRSS'))), 50);

  const { stream, length } = pdfStream(megabytes * CHUNK);
  const cpuBefore = cpuSeconds(pid);
  const started = process.hrtime.bigint();
  const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = request(`${printer.privet}/privet/printer/submitdoc?job_name=bench`, { method: 'POST', headers: { 'X-Privet-Token': token, 'Content-Type': 'application/pdf', 'Content-Length': String(length) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d)).on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    stream.pipe(req);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const printerCpu = cpuSeconds(pid) - cpuBefore;
  clearInterval(sampler);
  if (reply.job_size !== length) throw new Error(`submitdoc failed: ${JSON.stringify(reply)}`);
  rmSync(join(printer.outputDir, `${reply.job_id}.pdf`), { force: true });
  const disk = diskRate(printer.outputDir);
  const rate = length / CHUNK / seconds;
  console.log(`submitdoc: ${(length / CHUNK).toFixed(0)} MB in ${seconds.toFixed(2)} s = ${rate.toFixed(1)} MB/s; disk (dd conv=fdatasync) ${disk.toFixed(1)} MB/s; printer RSS growth ${((peak - baseline) / 1024).toFixed(1)} MB; printer CPU ${printerCpu.toFixed(2)} s; load average ${loadavg()[0]!.toFixed(1)}`);
  console.log(JSON.stringify({ bench: 'submitdoc', megabytes: length / CHUNK, seconds: Number(seconds.toFixed(3)), mb_per_s: Number(rate.toFixed(1)), disk_mb_per_s: Number(disk.toFixed(1)), ratio_to_disk: Number((rate / disk).toFixed(3)), rss_growth_mb: Number(((peak - baseline) / 1024).toFixed(1)), printer_cpu_s: Number(printerCpu.toFixed(2)), load_average: Number(loadavg()[0]!.toFixed(1)) }));
} finally {
  await printer.stop();
  printer.cleanup();
}

function pdfStreamBuffer(size: number): Buffer {
  const chunks: Buffer[] = [];
  const { stream } = pdfStream(size);
  for (let chunk; (chunk = stream.read()) !== null; ) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
