// A bare Node TLS server with the same certificate as `ocp server`: accepts
// connections and holds them, nothing else. The baseline that
// `xmpp-connections --baseline` compares the XMPP server with.
//   node --import tsx tls-baseline-server.ts DATA_DIR   (prints {"port":N})
import { createServer } from 'node:tls';
import { loadTlsMaterial } from '../../src/tls/material.ts';

const tls = await loadTlsMaterial({ dataDir: process.argv[2]!, names: ['localhost', '127.0.0.1'] });
const server = createServer({ cert: tls.cert, key: tls.key, noDelay: true }, (socket) => socket.on('error', () => socket.destroy()));
server.maxConnections = 19_000;
server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
