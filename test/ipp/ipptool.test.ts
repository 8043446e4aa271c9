// CUPS's own IPP conformance files run by ipptool (Debian cups-ipp-utils)
// against a real `ocp server` whose printer is a virtual Privet printer
// registered to it, so jobs really complete: ipp-everywhere.test (which
// includes ipp-2.0.test and ipp-1.1.test) over ipp://, and Print-Job over
// ipps:// with the server's certificate. The user signs in with HTTP Basic
// (an API token as the password, in the URI).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { createUser } from '../helpers/cloud.ts';
import { cloudArgs, registerThroughPrivet, startPrinter, type TestPrinter } from '../privet/helpers.ts';
import { writeSamples } from './samples.ts';

const run = promisify(execFile);

let server: TestServer;
let printer: TestPrinter;
let samples: string;
let printerId: string;
let token: string;

before(async () => {
  server = await startTestServer({ ippsPort: 0 });
  const owner = await createUser(server);
  printer = await startPrinter({ cloud: server.url, args: ['--no-mdns', '--auto-confirm', ...cloudArgs(server)] });
  printerId = await registerThroughPrivet(printer, server.url, owner);
  token = await server.context.accounts.issueApiToken(owner.id);
  samples = tempDir('ocp-ipptool-');
  // The virtual printer's CDD: PWG raster at 300 dpi in sgray_8 and srgb_8.
  writeSamples(samples, [300], ['sgray-8', 'srgb-8']);
});
after(async () => {
  await printer?.stop();
  printer?.cleanup();
  await server?.stop();
  if (samples) rmSync(samples, { recursive: true, force: true });
});

interface Report {
  passed: string[];
  failed: string[];
  skipped: number;
  output: string;
}

async function ipptool(uri: string, file: string, extra: string[] = []): Promise<Report> {
  // -I: go on after a failure, so that the report lists every one. (No -T: ipptool's own
  // time-out makes it spin and give up on TLS connections, against any server.)
  const result = await run('ipptool', ['-I', '-t', ...extra, uri, file], { cwd: samples, timeout: 300_000, maxBuffer: 16 << 20 }).catch((error: { stdout?: string; stderr?: string }) => ({
    stdout: error.stdout ?? '',
    stderr: error.stderr ?? '',
  }));
  const output = result.stdout + result.stderr;
  const lines = output.split('\n');
  const named = (status: string) => lines.filter((line) => line.trimEnd().endsWith(`[${status}]`)).map((line) => line.trim());
  return { passed: named('PASS'), failed: named('FAIL'), skipped: named('SKIP').length, output };
}

const printerUri = (scheme: 'ipp' | 'ipps', port: number) => `${scheme}://ocp:${token}@127.0.0.1:${port}/ipp/print/${printerId}`;

test('ipptool ipp-everywhere.test (with ipp-2.0.test and ipp-1.1.test) passes every test it runs', async (t) => {
  const report = await ipptool(printerUri('ipp', server.ports.http!), 'ipp-everywhere.test', ['-V', '2.0', '-f', 'document-a4.pdf']);
  t.diagnostic(`ipptool: ${report.passed.length} passed, ${report.failed.length} failed, ${report.skipped} skipped`);
  assert.deepEqual(report.failed, [], report.output);
  assert.match(report.output, /Summary: \d+ tests, \d+ passed, 0 failed/);
  // What must have run: the RFC 8011 operations, PWG 5100.14's attributes, PWG raster prints (plain, deflate, gzip), PDF, PostScript and JPEG.
  for (const name of [
    'RFC 8011 section 4.1.1: Bad request-id value 0', 'RFC 8011 section 4.2.1: Print-Job Operation', 'RFC 8011 section 4.3.1: Send-Document Operation',
    'RFC 8011 section 4.3.3: Cancel-Job Operation', 'Get-Job-Attributes Until Job Complete', 'Print-Job with A4 PDF, Duplex', 'Print-Job with A4 PostScript',
    'Print-Job with Color JPEG on A4', 'PWG 5100.12 section 6.2 - Required Printer Description Attributes', 'PWG 5100.14 section 5.1/5.2 - Required Operations and Attributes',
    'Print document-a4 @ 300dpi, sgray-8, deflate', 'Print onepage-letter @ 300dpi, srgb-8, gzip',
  ]) {
    assert.ok(report.passed.some((line) => line.startsWith(name.slice(0, 60))), `${name} did not pass:\n${report.output}`);
  }
});

test('ipptool prints over ipps:// on the --ipps-port listener', async () => {
  const report = await ipptool(printerUri('ipps', server.ports.ipps!), '/usr/share/cups/ipptool/print-job.test', ['-f', 'document-letter.pdf']);
  assert.deepEqual(report.failed, [], report.output);
  assert.equal(report.passed.length, 1, report.output);
});
