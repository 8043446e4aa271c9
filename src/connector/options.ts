// `ocp connector`'s option table: every flag is also an OCP_CONNECTOR_*
// environment variable and a key of the JSON file named by --config (or
// OCP_CONNECTOR_CONFIG), as for the server (src/config.ts, which reads them).
import { resolve } from 'node:path';
import { ConfigError, type OptionSpec, type OptionTable, type OptionValues } from '../config.ts';
import type { ConnectorOptions } from './connector.ts';

/** Every connector option, in the order `ocp connector run --help` prints them (`init` takes `data`). */
export const CONNECTOR_OPTIONS = [
  { key: 'data', type: 'string', default: './connector-data', help: 'connector state directory (its robot identity, connector.json, and the job spool)' },
  { key: 'cups', type: 'string', default: '127.0.0.1:631', help: 'CUPS server (host:port) whose queues go into the cloud' },
  { key: 'xmpp', type: 'string', default: undefined, help: 'XMPP push channel, xmpps://host:port (default: the cloud host, port 5223)' },
  { key: 'ca', type: 'string', default: undefined, help: 'PEM CA certificate to trust for the XMPP server (e.g. the server DATA/tls/ca.pem)' },
  { key: 'sync-interval', type: 'duration', default: 60, help: 'how often CUPS queues are compared with the cloud (seconds, or with s/m/h/d suffix; at least 1)' },
  { key: 'log-level', type: 'string', default: 'info', help: 'pino log level (fatal, error, warn, info, debug, trace, silent)' },
] as const satisfies readonly OptionSpec[];

export const CONNECTOR_TABLE: OptionTable = { command: 'connector', envPrefix: 'OCP_CONNECTOR_', options: CONNECTOR_OPTIONS };

/** What `ocp connector run` runs with: the Connector's options (but its logger), and the log level. */
export interface ConnectorConfig {
  connector: Omit<ConnectorOptions, 'log'>;
  logLevel: string;
}

/** The state directory alone, for `ocp connector init`. */
export function connectorDataDir(values: OptionValues): string {
  return resolve(String(values.data ?? './connector-data'));
}

export function connectorConfigFrom(values: OptionValues): ConnectorConfig {
  const str = (k: (typeof CONNECTOR_OPTIONS)[number]['key']) => (values[k] === undefined ? undefined : String(values[k]));
  const syncInterval = Number(values['sync-interval']);
  if (syncInterval < 1) throw new ConfigError(`sync-interval: at least 1 second, got ${syncInterval}`);
  return {
    connector: {
      dataDir: connectorDataDir(values),
      cups: str('cups') ?? '127.0.0.1:631',
      xmppUrl: str('xmpp'),
      caFile: str('ca'),
      syncIntervalMs: syncInterval * 1000,
    },
    logLevel: str('log-level') ?? 'info',
  };
}
