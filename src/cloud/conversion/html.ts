// HTML → PDF with headless Chromium, without network and without the
// server's files. Chromium is pointed at a proxy of our own on loopback,
// for every host including loopback itself ("<-loopback>"): it answers the
// one document, under a made-up host, with a Content-Security-Policy that
// allows no script (turning scripts off by flag stops --print-to-pdf
// from printing) and no load but inline styles and data: images, and
// refuses everything else. Loaded over http://, the page cannot reach
// file:// URLs either. Host names do not resolve at all (but the proxy's
// address), and the profile is a fresh directory of the conversion's,
// deleted with it.
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runTool, type ToolLimits } from './run-tool.ts';

const DOCUMENT_URL = 'http://document.invalid/';
const POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:";

function documentProxy(htmlPath: string): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method === 'GET' && request.url === DOCUMENT_URL) {
      response.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': POLICY, 'cache-control': 'no-store' });
      createReadStream(htmlPath).on('error', () => response.destroy()).pipe(response);
      return;
    }
    response.writeHead(403).end();
  });
  server.on('connect', (_request, socket) => socket.destroy()); // no tunnels
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

export async function htmlToPdf(htmlPath: string, output: string, workDir: string, limits: ToolLimits, signal?: AbortSignal): Promise<void> {
  const proxy = await documentProxy(htmlPath);
  try {
    const { port } = proxy.address() as AddressInfo;
    await runTool({
      command: 'chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check',
        '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-extensions',
        `--user-data-dir=${join(workDir, 'chromium-profile')}`,
        `--proxy-server=http://127.0.0.1:${port}`, '--proxy-bypass-list=<-loopback>', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        '--no-pdf-header-footer', `--print-to-pdf=${output}`, DOCUMENT_URL,
      ],
      limits,
      watchResident: true,
      cwd: workDir,
      signal,
    });
  } finally {
    proxy.closeAllConnections();
    await new Promise((resolve) => proxy.close(resolve));
  }
}
