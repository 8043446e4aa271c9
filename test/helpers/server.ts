// Starts a real `ocp server` in this process on free ports and a fresh data
// directory; every listener is on loopback.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultServerConfig, type ServerConfig } from '../../src/config.ts';
import { silentLogger, type Logger } from '../../src/log.ts';
import { startServer, type RunningServer } from '../../src/server/index.ts';

export interface TestServer extends RunningServer {
  dataDir: string;
  url: string;
  /** Stops the server; removes the data directory unless `keepData`. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export function tempDir(prefix = 'ocp-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A server on loopback with free ports and a fresh data directory; `log` for tests that read its log lines. */
export async function startTestServer(overrides: Partial<ServerConfig> = {}, log: Logger = silentLogger()): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? tempDir();
  const config = defaultServerConfig({
    dataDir,
    host: '127.0.0.1',
    httpPort: 0,
    xmppPort: 0,
    xmppsPort: 0,
    ccsPort: 0,
    logLevel: 'silent',
    ...overrides,
  });
  const server = await startServer(config, log);
  return {
    ...server,
    dataDir,
    url: server.context.publicUrl,
    async stop(options = {}) {
      await server.close();
      if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A node's `ocp_bus_up` gauge from its /metrics: '1' while its bus carries events, '0' while it does not. */
export async function busUp(node: { url: string }): Promise<string | undefined> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  return /^ocp_bus_up (\d)$/m.exec(text)?.[1];
}
