// Documents are untrusted. HTML is laid out by headless Chromium without
// network, scripts or the server's files (src/cloud/conversion/html.ts): a
// page that tries to reach a loopback service, read a local file or run a
// script prints without any of it. An SVG cannot pull in another job's
// document stored next to it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { DocumentConverter } from '../../../src/cloud/conversion/index.ts';
import { tempDir } from '../../helpers/server.ts';
import { samples } from './samples.ts';

let dir: string;
let bait: Server;
const hits: string[] = [];
let converter: DocumentConverter;

before(async () => {
  dir = tempDir('ocp-html-');
  mkdirSync(join(dir, 'work'));
  writeFileSync(join(dir, 'secret.txt'), 'LOCAL-SECRET');
  bait = createServer((request, response) => {
    hits.push(String(request.url));
    response.writeHead(200, { 'content-type': 'text/html' }).end('<p>LOOPBACK-SECRET</p>');
  });
  await new Promise<void>((resolve) => bait.listen(0, '127.0.0.1', resolve));
  converter = new DocumentConverter({ workDir: join(dir, 'work'), workers: 1, limits: { timeoutMs: 60_000, memoryBytes: 1024 ** 3, maxOutputBytes: 64 * 1024 ** 2 } });
});
after(async () => {
  await converter?.close();
  await new Promise((resolve) => bait?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function pdfText(path: string): string {
  return execFileSync('gs', ['-q', '-dSAFER', '-dBATCH', '-dNOPAUSE', '-sDEVICE=txtwrite', '-sOutputFile=-', path], { encoding: 'utf8' });
}

async function convert(document: string, name: string, contentType = 'text/html'): Promise<string> {
  const input = join(dir, name);
  writeFileSync(input, document);
  const output = join(dir, `${name}.pdf`);
  await converter.convert({ input, contentType, target: 'application/pdf', ticket: {}, capabilities: {} }, output);
  return output;
}

test('no script runs, and no loopback service, local file or other host is reached', async () => {
  const { port } = bait.address() as AddressInfo;
  const loopback = `http://127.0.0.1:${port}`;
  const pdf = await convert(
    `<!doctype html><html><head><link rel="stylesheet" href="${loopback}/style.css"></head><body>
      <p>VISIBLE-TEXT</p>
      <script>document.body.insertAdjacentText('beforeend', 'SCRIPT-RAN')</script>
      <img src="${loopback}/image.png"><img src="file://${join(dir, 'secret.txt')}">
      <iframe src="${loopback}/frame"></iframe><iframe src="file://${join(dir, 'secret.txt')}"></iframe>
      <img src="http://localhost:${port}/by-name.png"><img src="http://example.com/remote.png">
    </body></html>`,
    'attempts',
  );
  const text = pdfText(pdf);
  assert.match(text, /VISIBLE-TEXT/);
  assert.doesNotMatch(text, /SCRIPT-RAN|LOCAL-SECRET|LOOPBACK-SECRET/);
  assert.deepEqual(hits, []);
});

test('a page that redirects itself to a loopback service does not reach it', async () => {
  const { port } = bait.address() as AddressInfo;
  await convert(`<!doctype html><meta http-equiv="refresh" content="0;url=http://127.0.0.1:${port}/refresh"><p>REDIRECTING</p>`, 'refresh').catch(() => undefined);
  assert.deepEqual(hits, []);
});

test('an SVG cannot include another document of the store (a file beside it)', async () => {
  writeFileSync(join(dir, 'other-job'), samples().png!.content);
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="100"><image xlink:href="other-job" width="200" height="100"/><text x="10" y="50">SVG</text></svg>';
  const pdf = readFileSync(await convert(svg, 'including-svg', 'image/svg+xml'));
  assert.doesNotMatch(pdf.toString('latin1'), /\/Subtype\s*\/Image/);
});
