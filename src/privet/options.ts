// `ocp printer`'s option table: every flag is also an OCP_PRINTER_*
// environment variable and a key of the JSON file named by --config (or
// OCP_PRINTER_CONFIG), as for the server (src/config.ts, which reads them).
import { resolve } from 'node:path';
import { ConfigError, type OptionSpec, type OptionTable, type OptionValues } from '../config.ts';
import { DEFAULT_PRINTER_HTTP_GUARD, type PrinterOptions } from './printer.ts';

/** Every printer option, in the order `ocp printer --help` prints them. */
export const PRINTER_OPTIONS = [
  { key: 'name', type: 'string', default: undefined, help: 'printer name (TXT ty, /privet/info name); required' },
  { key: 'note', type: 'string', default: undefined, help: 'description (TXT note)' },
  { key: 'cloud', type: 'string', default: undefined, help: 'cloud print service URL, e.g. http://127.0.0.1:8080; required' },
  { key: 'xmpp', type: 'string', default: undefined, help: 'XMPP push channel, xmpps://host:port (default: the cloud host, port 5223)' },
  { key: 'data', type: 'string', default: './printer-data', help: 'state directory (registration, settings, job history, ports.json)' },
  { key: 'host', type: 'string', default: undefined, help: 'address for the Privet API (default: all, or the --interface address)' },
  { key: 'port', type: 'int', default: 0, help: 'Privet HTTP port (0 = pick one)' },
  { key: 'panel-port', type: 'int', default: 0, help: 'front panel port on 127.0.0.1 (0 = pick one)' },
  { key: 'output', type: 'string', default: undefined, help: 'output directory for printed documents (default: DATA/output)' },
  { key: 'cups', type: 'string', default: undefined, help: 'print to this CUPS queue over IPP instead of the output directory' },
  { key: 'cups-server', type: 'string', default: undefined, help: 'cupsd (host:port) to use with --cups (default $CUPS_SERVER or localhost:631)' },
  { key: 'interface', type: 'string', default: undefined, help: 'network interface to advertise on and listen on' },
  { key: 'auto-confirm', type: 'bool', default: false, help: 'confirm registration requests without the front panel (unattended set-ups only)' },
  { key: 'ca', type: 'string', default: undefined, help: 'PEM CA certificate to trust for the XMPP server (e.g. the server DATA/tls/ca.pem)' },
  { key: 'max-document-size', type: 'bytes', default: 2 * 1024 ** 3, help: 'largest document accepted by submitdoc (bytes, or with K/M/G suffix)' },
  { key: 'confirmation-timeout', type: 'duration', default: 60, help: 'how long a registration waits for OK on the panel (seconds, or with s/m/h/d suffix)' },
  { key: 'claim-wait', type: 'duration', default: 30, help: 'how long action=complete waits for the claim in the cloud' },
  { key: 'job-lifetime', type: 'duration', default: 600, help: 'how long created and finished jobs are kept' },
  { key: 'cloud-timeout', type: 'duration', default: 30, help: 'how long a cloud request waits for its answer, and a cloud job download for its next byte (at least 1)' },
  { key: 'download-attempts', type: 'int', default: 3, help: 'downloads tried per cloud job before it is ABORTED with DOWNLOAD_FAILURE (at least 1)' },
  { key: 'download-retry-delay', type: 'duration', default: 2, help: 'wait before the second download attempt, doubled before each further one' },
  { key: 'page-time', type: 'decimal', default: 0, help: 'each page takes this many seconds to print, fractions allowed (0 = a document prints as soon as it is received)' },
  { key: 'state-report-delay', type: 'int', default: 250, help: 'milliseconds printer state changes are gathered before they are reported to the cloud' },
  { key: 'mdns', type: 'bool', default: true, help: 'advertise over mDNS (--no-mdns: do not)' },
  { key: 'console', type: 'bool', default: true, help: 'interactive console front panel when stdin is a terminal (--no-console: none)' },
  { key: 'http-idle-timeout', type: 'duration', default: DEFAULT_PRINTER_HTTP_GUARD.idleTimeoutMs / 1000, help: 'close an HTTP connection whose client keeps the printer waiting this long (0 = never)' },
  { key: 'max-connections-per-address', type: 'int', default: DEFAULT_PRINTER_HTTP_GUARD.maxConnectionsPerAddress, help: 'open HTTP connections one source address may hold (0 = unlimited)' },
  { key: 'log-level', type: 'string', default: 'info', help: 'pino log level (fatal, error, warn, info, debug, trace, silent)' },
] as const satisfies readonly OptionSpec[];

export const PRINTER_TABLE: OptionTable = { command: 'printer', envPrefix: 'OCP_PRINTER_', options: PRINTER_OPTIONS };

type PrinterOptionKey = (typeof PRINTER_OPTIONS)[number]['key'];

/** What `ocp printer` runs with: the Printer's options (but its logger), and the command's own. */
export interface PrinterConfig {
  printer: Omit<PrinterOptions, 'log'>;
  console: boolean;
  logLevel: string;
}

/** The state directory alone, for `ocp printer reset`. */
export function printerDataDir(values: OptionValues): string {
  return resolve(String(values.data ?? './printer-data'));
}

export function printerConfigFrom(values: OptionValues): PrinterConfig {
  const str = (k: PrinterOptionKey) => (values[k] === undefined ? undefined : String(values[k]));
  const num = (k: PrinterOptionKey, min = 0, max = Number.MAX_SAFE_INTEGER) => {
    const n = Number(values[k]);
    if (n < min || n > max) throw new ConfigError(`${k}: ${n} is out of range (${min} to ${max})`);
    return n;
  };
  const name = str('name');
  const cloud = str('cloud');
  if (!name || !cloud) throw new ConfigError('printer: name and cloud are required (--name and --cloud, OCP_PRINTER_NAME and OCP_PRINTER_CLOUD, or config keys)');
  const output = str('output');
  const cupsQueue = str('cups');
  if (output && cupsQueue) throw new ConfigError('printer: output and cups exclude each other');
  const confirmationMs = num('confirmation-timeout') * 1000;
  const lifetimeMs = num('job-lifetime') * 1000;
  return {
    printer: {
      name,
      note: str('note'),
      cloudUrl: cloud,
      xmppUrl: str('xmpp'),
      dataDir: printerDataDir(values),
      host: str('host'),
      port: num('port', 0, 65535),
      panelPort: num('panel-port', 0, 65535),
      outputDir: output ? resolve(output) : undefined,
      cupsQueue,
      cupsServer: str('cups-server'),
      networkInterface: str('interface'),
      autoConfirm: values['auto-confirm'] === true,
      ca: str('ca'),
      mdns: values.mdns !== false,
      maxDocumentSize: num('max-document-size'),
      claimWaitMs: num('claim-wait') * 1000,
      cloudTimeoutMs: num('cloud-timeout', 1) * 1000,
      downloadAttempts: num('download-attempts', 1),
      downloadRetryDelayMs: num('download-retry-delay') * 1000,
      httpGuard: { idleTimeoutMs: num('http-idle-timeout') * 1000, maxConnectionsPerAddress: num('max-connections-per-address') },
      pageTimeMs: Math.round(num('page-time') * 1000),
      stateReportDelayMs: num('state-report-delay'),
      registrationTimeouts: { confirmationMs, idleMs: Math.max(confirmationMs, 60_000) },
      jobLimits: { pendingCapacity: 5, pendingLifetimeMs: lifetimeMs, finishedCapacity: 20, finishedLifetimeMs: lifetimeMs },
    },
    console: values.console !== false,
    logLevel: str('log-level') ?? 'info',
  };
}
