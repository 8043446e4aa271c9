// --node-id names a node of a cluster in every log line and in
// /admin/status; without it the node is its host name and HTTP port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { defaultServerConfig, type ServerConfig } from '../../src/config.ts';
import { startServer } from '../../src/server/index.ts';
import { capturingLogger } from '../helpers/log.ts';
import { freePort } from '../helpers/ports.ts';
import { tempDir } from '../helpers/server.ts';

async function withServer(overrides: Partial<ServerConfig>, check: (status: Record<string, unknown>, lines: Array<Record<string, unknown>>, httpPort: number) => void): Promise<void> {
  const dataDir = tempDir();
  const { log, lines } = capturingLogger('info');
  const server = await startServer(defaultServerConfig({ dataDir, host: '127.0.0.1', httpPort: 0, xmppPort: 0, xmppsPort: 0, ccsPort: 0, ...overrides }), log);
  try {
    const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
    const response = await fetch(`http://127.0.0.1:${server.ports.http}/admin/status`, { headers: { authorization: `Bearer ${token}` } });
    check((await response.json()) as Record<string, unknown>, lines, server.ports.http!);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

test('--node-id is in every log line and in /admin/status', async () => {
  await withServer({ nodeId: 'print-7' }, (status, lines) => {
    assert.equal(status.nodeId, 'print-7');
    assert.ok(lines.length > 3);
    for (const line of lines) assert.equal(line.node, 'print-7', JSON.stringify(line));
  });
});

test('without --node-id a node is its host name and HTTP port', async () => {
  const httpPort = await freePort();
  await withServer({ httpPort }, (status, lines) => {
    assert.equal(status.nodeId, `${hostname()}:${httpPort}`);
    for (const line of lines) assert.equal(line.node, `${hostname()}:${httpPort}`, JSON.stringify(line));
  });
  // A picked port is known once listening: the start line and the status name it.
  await withServer({}, (status, lines, picked) => {
    assert.equal(status.nodeId, `${hostname()}:${picked}`);
    assert.equal(lines.find((line) => line.msg === 'ocp server started')?.nodeId, `${hostname()}:${picked}`);
  });
});
