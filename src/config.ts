// Configuration of the long-running commands: one table of options per
// command, read from (in rising priority) defaults, an optional JSON config
// file, environment variables and command-line flags. A key is spelled the
// same way everywhere: flag `--http-port`, environment `OCP_HTTP_PORT`, config
// file key "http-port". Each command has its own environment prefix (OCP_ for
// the server, OCP_PRINTER_ and OCP_CONNECTOR_ for the device side), since
// `data`, `host` or `cups` mean different things to each. This file holds the
// engine and the server's table; src/privet/options.ts and
// src/connector/options.ts hold the others.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { trustedProxies } from './net/trusted-proxies.ts';

/** `decimal`: a number with an optional fraction (the printer's page time); the others are whole numbers. */
type OptionType = 'string' | 'int' | 'decimal' | 'bool' | 'bytes' | 'duration';

export interface OptionSpec {
  key: string;
  type: OptionType;
  default: string | number | boolean | undefined;
  help: string;
}

/** The options of one command and the prefix of their environment variables. */
export interface OptionTable {
  command: string;
  envPrefix: string;
  options: readonly OptionSpec[];
}

export type OptionValues = Record<string, string | number | boolean | undefined>;

/** Every server option, in the order `ocp server --help` prints them. */
export const SERVER_OPTIONS = [
  { key: 'data', type: 'string', default: './data', help: 'data directory (SQLite database, documents, TLS material, ports.json)' },
  { key: 'host', type: 'string', default: '127.0.0.1', help: 'address every listener binds to' },
  { key: 'http-port', type: 'int', default: 8080, help: 'HTTP port for the REST API and web UI (0 = pick a free one)' },
  { key: 'xmpp-port', type: 'int', default: 5222, help: 'XMPP client port, STARTTLS required (0 = pick, -1 = off)' },
  { key: 'xmpps-port', type: 'int', default: 5223, help: 'XMPP client port, TLS from the first byte (0 = pick, -1 = off)' },
  { key: 'ccs-port', type: 'int', default: 5235, help: 'Cloud Connection Server port for app servers, direct TLS (0 = pick, -1 = off)' },
  { key: 'ccs-plain-port', type: 'int', default: -1, help: 'plain-text CCS port, for tests only (-1 = off)' },
  { key: 'domain', type: 'string', default: 'localhost', help: 'XMPP domain of this server (robot and device JIDs live under it)' },
  { key: 'public-url', type: 'string', default: undefined, help: 'base URL clients use to reach the HTTP port (default: derived from host and port)' },
  { key: 'database', type: 'string', default: 'sqlite', help: 'sqlite, or a postgres:// URL for scale-out' },
  { key: 'database-pool-size', type: 'int', default: 10, help: 'with a postgres:// database, the connections this server opens to it at most (each node of a cluster its own: keep their sum under PostgreSQL\'s max_connections)' },
  { key: 'bus', type: 'string', default: 'local', help: 'notification bus between server nodes: local (one node), or a redis:// URL shared by every node' },
  { key: 'bus-registry-ttl', type: 'duration', default: 30, help: 'with a redis:// bus, how long Redis keeps which node holds which device session unless the node refreshes it (every third of this): a node that dies stops getting events this long after' },
  { key: 'documents', type: 'string', default: 'directory', help: 'where print documents live: directory (files under DATA/documents; one node, or a directory every node mounts) or database (in PostgreSQL, read by every node of a cluster; not on SQLite)' },
  { key: 'sync', type: 'string', default: 'normal', help: 'SQLite durability: normal survives process crashes, full also survives power loss' },
  { key: 'tls-cert', type: 'string', default: undefined, help: 'PEM certificate chain for TLS listeners (default: generated under DATA/tls)' },
  { key: 'tls-key', type: 'string', default: undefined, help: 'PEM private key for --tls-cert' },
  { key: 'tls-name', type: 'string', default: undefined, help: 'extra host names or addresses, comma-separated, for the generated certificate (it always names the public-url host, the domain and the listening addresses)' },
  { key: 'max-document-size', type: 'bytes', default: 100 * 1024 * 1024, help: 'largest print document accepted (bytes, or with K/M/G suffix)' },
  { key: 'conversion-workers', type: 'int', default: 2, help: 'documents converted at once for printers that cannot take their type (Ghostscript, img2pdf, tiff2pdf, rsvg-convert, Chromium); more wait their turn' },
  { key: 'conversion-timeout', type: 'duration', default: 120, help: 'time one conversion tool may run before it is killed and its job aborted with CONVERSION_ERROR' },
  { key: 'conversion-memory', type: 'bytes', default: 1024 * 1024 * 1024, help: 'memory one conversion tool may use (address space; anonymous resident memory of all its processes for Chromium) before it is killed' },
  { key: 'conversion-max-output', type: 'bytes', default: 512 * 1024 * 1024, help: 'largest converted document; a conversion writing more is killed and its job aborted with CONVERSION_FILE_TOO_BIG' },
  { key: 'job-retention', type: 'duration', default: 30 * 24 * 3600, help: 'finished jobs and their documents are deleted after this long (seconds, or with s/m/h/d suffix)' },
  { key: 'access-token-ttl', type: 'duration', default: 3600, help: 'lifetime of OAuth2 access tokens' },
  { key: 'sign-in-free-failures', type: 'int', default: 5, help: 'wrong passwords one address may try for one account before each further try has to wait (0 = no wait)' },
  { key: 'sign-in-backoff', type: 'duration', default: 1, help: 'the first such wait; it doubles with each further wrong password, and the address and account are forgotten after a quiet --sign-in-max-backoff' },
  { key: 'sign-in-max-backoff', type: 'duration', default: 900, help: 'the longest wait between wrong passwords of one address for one account' },
  { key: 'sign-in-failures-per-source', type: 'int', default: 30, help: 'wrong passwords one address may try per minute, for all accounts together, before its sign-ins are refused for the rest of the minute (0 = unlimited)' },
  { key: 'device-code-ttl', type: 'duration', default: 600, help: 'how long a device-flow code (RFC 8628) waits for its user to approve it' },
  { key: 'device-code-interval', type: 'duration', default: 5, help: 'seconds a device-flow client waits between polls; faster polls get slow_down and 5 s more (RFC 8628 §3.5)' },
  { key: 'device-codes-per-minute', type: 'int', default: 30, help: 'device-flow codes one address may request per minute (0 = unlimited)' },
  { key: 'user-code-failures-per-minute', type: 'int', default: 10, help: 'wrong device-flow user codes one address, or one account, may enter per minute before its entries are refused for the rest of the minute (0 = unlimited)' },
  { key: 'console-heartbeat', type: 'duration', default: 20, help: 'how often the web console\'s event stream (GET /console/events) sends a keep-alive and checks that its access token still holds' },
  { key: 'console-streams-per-account', type: 'int', default: 8, help: 'event streams one account may hold open at once (browser tabs); the oldest is closed when another opens' },
  { key: 'console-api-tokens-per-account', type: 'int', default: 100, help: 'API tokens one person may hold when creating one in the web console (POST /console/tokens); past it they revoke one first (0 = unlimited; `ocp token create` is not limited)' },
  { key: 'registration-ttl', type: 'duration', default: 900, help: 'how long an anonymous printer registration waits to be claimed' },
  { key: 'anonymous-registrations-per-minute', type: 'int', default: 60, help: 'anonymous registrations (printers at /cloudprint/register, CCS devices at /ccs/register) accepted from one address per minute, each endpoint counted apart (0 = unlimited)' },
  { key: 'max-json-depth', type: 'int', default: 64, help: 'deepest nesting of objects and arrays accepted in any JSON input (capabilities, tickets, CCS messages, request bodies); deeper input is refused before it is parsed' },
  { key: 'http-idle-timeout', type: 'duration', default: 30, help: 'an HTTP connection on which the client sends nothing this long while the server waits for it (request headers or body, or reading a reply) is closed' },
  { key: 'http-max-connections-per-address', type: 'int', default: 256, help: 'open HTTP connections one source address may hold; more are closed at once (0 = unlimited)' },
  { key: 'max-field-size', type: 'bytes', default: 8 * 1024, help: 'largest value of an ordinary multipart field (names, ids, tags, titles)' },
  { key: 'max-json-field-size', type: 'bytes', default: 1024 * 1024, help: 'largest value of a multipart field that carries JSON (capabilities, ticket, semantic_state, semantic_state_diff, final_semantic_state, local_settings) or an inline text document (content)' },
  { key: 'max-stanza-size', type: 'bytes', default: 256 * 1024, help: 'largest XMPP stanza accepted' },
  { key: 'max-connections-per-account', type: 'int', default: 100, help: 'XMPP sessions one account may hold at once' },
  { key: 'xmpp-max-buffered', type: 'bytes', default: 1024 * 1024, help: 'XMPP output a client has not read yet before it is disconnected' },
  { key: 'xmpp-max-auth-failures', type: 'int', default: 3, help: 'failed XMPP logins on one connection before it is closed' },
  { key: 'xmpp-auth-failures-per-minute', type: 'int', default: 20, help: 'failed XMPP logins from one address per minute before each further failure is answered only after --xmpp-auth-failure-delay (a right login is never delayed)' },
  { key: 'xmpp-auth-failure-delay', type: 'duration', default: 5, help: 'how long a failed XMPP login waits for its answer once its address is past --xmpp-auth-failures-per-minute' },
  { key: 'xmpp-handshake-timeout', type: 'duration', default: 30, help: 'time an XMPP client has from connecting to binding a resource' },
  { key: 'xmpp-idle-timeout', type: 'duration', default: 300, help: 'silence after which the server pings an XMPP client (a printer\'s xmpp_timeout_value overrides it)' },
  { key: 'xmpp-ping-timeout', type: 'duration', default: 30, help: 'time an XMPP client has to answer the server\'s ping before it is disconnected' },
  { key: 'xmpp-credential-check', type: 'duration', default: 300, help: 'how often the server checks that live XMPP sessions\' grants and accounts still exist, for revocations made outside the server (0 = never)' },
  { key: 'ccs-max-pending', type: 'int', default: 100, help: 'un-ACKed CCS messages per connection and direction (1000 for compatibility with the original)' },
  { key: 'ccs-device-rate', type: 'int', default: 600, help: 'downstream CCS messages per minute one registration (or one topic) may receive before DEVICE_MESSAGE_RATE_EXCEEDED (0 = unlimited)' },
  { key: 'ccs-drain-grace', type: 'duration', default: 30, help: 'how long a draining CCS connection may stay open before the server closes it' },
  { key: 'ipps-port', type: 'int', default: -1, help: 'IPP Everywhere over TLS (ipps://HOST:PORT/ipp/print/ID); IPP over HTTP is always on the HTTP port (0 = pick, -1 = off)' },
  { key: 'ipps-public-port', type: 'int', default: 0, help: 'the port clients reach the IPPS listener on when it differs from --ipps-port (a load balancer\'s), for the ipps:// URIs the HTTP port answers with (0 = --ipps-port\'s)' },
  { key: 'ipp-basic-over-http', type: 'bool', default: false, help: 'accept IPP passwords (HTTP Basic) over plain HTTP from any address, e.g. behind a TLS proxy (otherwise only from loopback; others get 426 and use ipps)' },
  { key: 'ipp-max-attributes-size', type: 'bytes', default: 1024 * 1024, help: 'largest attribute section of an IPP request (the document after it is limited by max-document-size)' },
  { key: 'ipp-max-queued-jobs', type: 'int', default: 1000, help: 'queued jobs a printer may hold before IPP Print-Job answers server-error-busy' },
  { key: 'ipp-job-timeout', type: 'duration', default: 60, help: 'how long an IPP Create-Job waits for its Send-Document (multiple-operation-time-out)' },
  { key: 'ipp-advertise', type: 'bool', default: false, help: 'announce on the LAN (mDNS _ipp._tcp/_ipps._tcp, _print and _universal subtypes) the printers whose owners tagged them ipp-advertise' },
  { key: 'ipp-advertise-interface', type: 'string', default: undefined, help: 'network interface (name or address) for --ipp-advertise (default: all)' },
  { key: 'ipp-advertise-interval', type: 'duration', default: 10, help: 'how often --ipp-advertise re-reads which printers to announce (added, renamed, deleted, off line)' },
  { key: 'metrics-access', type: 'string', default: 'loopback', help: 'who may read /metrics: loopback (callers on this machine), token (any address, with the bearer token in metrics-token-file) or open' },
  { key: 'metrics-token-file', type: 'string', default: undefined, help: 'file holding the bearer token /metrics asks for with metrics-access token (at least 16 characters)' },
  { key: 'readiness-timeout', type: 'duration', default: 2, help: 'how long /readyz waits for the database and the bus to answer before it reports them unavailable' },
  { key: 'shutdown-delay', type: 'duration', default: 0, help: 'on SIGTERM, how long /readyz answers 503 before the listeners close, so a load balancer stops sending new clients first' },
  { key: 'trusted-proxies', type: 'string', default: undefined, help: 'load balancers in front of this server, comma-separated addresses or CIDR blocks: their X-Forwarded-For names the client on the HTTP port, and their connections to the XMPP, CCS and IPPS ports must begin with a PROXY protocol header (v1 or v2) naming it; nobody else may send one (default: none)' },
  { key: 'proxy-header-timeout', type: 'duration', default: 5, help: 'time a trusted proxy has to send the whole PROXY protocol header of a connection before it is closed' },
  { key: 'proxy-header-max-size', type: 'bytes', default: 1024, help: 'longest PROXY protocol header accepted (a version 2 header may carry TLVs); a longer one closes the connection' },
  { key: 'node-id', type: 'string', default: undefined, help: 'name of this node in a cluster, in every log line (node) and /admin/status (default: host name and HTTP port, e.g. print1:8080)' },
  { key: 'log-level', type: 'string', default: 'info', help: 'pino log level (fatal, error, warn, info, debug, trace, silent)' },
] as const satisfies readonly OptionSpec[];

export type OptionKey = (typeof SERVER_OPTIONS)[number]['key'];

export const SERVER_TABLE: OptionTable = { command: 'server', envPrefix: 'OCP_', options: SERVER_OPTIONS };

export interface ServerConfig {
  dataDir: string;
  host: string;
  httpPort: number;
  xmppPort: number;
  xmppsPort: number;
  ccsPort: number;
  ccsPlainPort: number;
  domain: string;
  publicUrl: string | undefined;
  database: string;
  databasePoolSize: number;
  bus: string;
  busRegistryTtlSeconds: number;
  /** The document store's backend (src/cloud/documents.ts). */
  documents: 'directory' | 'database';
  sync: 'normal' | 'full';
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  tlsNames: string[];
  maxDocumentSize: number;
  jobRetentionSeconds: number;
  /** The console's event stream: keep-alive and token re-check period. */
  consoleHeartbeatSeconds: number;
  /** Open console event streams per account; the oldest goes when one more opens. */
  consoleStreamsPerAccount: number;
  /** API tokens an account may hold when it creates one in the console (0 = unlimited). */
  consoleApiTokensPerAccount: number;
  conversionWorkers: number;
  conversionTimeoutSeconds: number;
  conversionMemory: number;
  conversionMaxOutput: number;
  accessTokenTtlSeconds: number;
  signInFreeFailures: number;
  signInBackoffSeconds: number;
  signInMaxBackoffSeconds: number;
  signInFailuresPerSource: number;
  deviceCodeTtlSeconds: number;
  deviceCodeIntervalSeconds: number;
  deviceCodesPerMinute: number;
  userCodeFailuresPerMinute: number;
  registrationTtlSeconds: number;
  anonymousRegistrationsPerMinute: number;
  maxJsonDepth: number;
  httpIdleTimeoutSeconds: number;
  httpMaxConnectionsPerAddress: number;
  maxFieldSize: number;
  maxJsonFieldSize: number;
  maxStanzaSize: number;
  maxConnectionsPerAccount: number;
  xmppMaxBuffered: number;
  xmppMaxAuthFailures: number;
  xmppAuthFailuresPerMinute: number;
  xmppAuthFailureDelaySeconds: number;
  xmppHandshakeTimeoutSeconds: number;
  xmppIdleTimeoutSeconds: number;
  xmppPingTimeoutSeconds: number;
  xmppCredentialCheckSeconds: number;
  ccsMaxPending: number;
  ccsDeviceRate: number;
  ccsDrainGraceSeconds: number;
  ippsPort: number;
  ippsPublicPort: number;
  ippBasicOverHttp: boolean;
  ippMaxAttributesSize: number;
  ippMaxQueuedJobs: number;
  ippJobTimeoutSeconds: number;
  ippAdvertise: boolean;
  ippAdvertiseInterface: string | undefined;
  ippAdvertiseInterval: number;
  metricsAccess: 'loopback' | 'token' | 'open';
  metricsTokenFile: string | undefined;
  readinessTimeoutSeconds: number;
  shutdownDelaySeconds: number;
  /** --trusted-proxies: addresses and CIDR blocks of the load balancers; empty = none. */
  trustedProxies: string[];
  proxyHeaderTimeoutSeconds: number;
  proxyHeaderMaxSize: number;
  /** Unset: the host name and the bound HTTP port. */
  nodeId: string | undefined;
  logLevel: string;
}

export class ConfigError extends Error {}

const UNIT_BYTES: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
const UNIT_SECONDS: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400 };

function parseValue(spec: OptionSpec, raw: unknown): string | number | boolean {
  if (spec.type === 'string') return String(raw);
  if (spec.type === 'bool') {
    if (typeof raw === 'boolean') return raw;
    if (/^(1|true|yes|on)$/i.test(String(raw))) return true;
    if (/^(0|false|no|off)$/i.test(String(raw))) return false;
    throw new ConfigError(`${spec.key}: expected true or false, got "${raw}"`);
  }
  if (spec.type === 'decimal') {
    const value = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (String(raw).trim() === '' || !Number.isFinite(value)) throw new ConfigError(`${spec.key}: expected a number, got "${raw}"`);
    return value;
  }
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  const text = String(raw).trim().toLowerCase();
  const units = spec.type === 'bytes' ? UNIT_BYTES : spec.type === 'duration' ? UNIT_SECONDS : { '': 1 };
  const match = /^(-?\d+)([a-z]?)$/.exec(text);
  const factor = match ? units[match[2] ?? ''] : undefined;
  if (!match || factor === undefined) throw new ConfigError(`${spec.key}: expected a whole number${spec.type === 'int' ? '' : ' with an optional unit'}, got "${raw}"`);
  return Number(match[1]) * factor;
}

/** The environment variable of option `key` (or of the config file, `CONFIG`): OCP_HTTP_PORT, OCP_PRINTER_DATA. */
export function envName(key: string, envPrefix = 'OCP_'): string {
  return envPrefix + key.toUpperCase().replaceAll('-', '_');
}

/**
 * Merges the sources for `specs`. `flags` holds values the user actually gave
 * on the command line (kebab-case keys); `configFile` is a JSON object file,
 * by default the one named by the command's CONFIG variable (OCP_CONFIG).
 */
export function resolveOptions(
  specs: readonly OptionSpec[],
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv = process.env,
  configFile?: string,
  envPrefix = 'OCP_',
): OptionValues {
  let fileValues: Record<string, unknown> = {};
  const configPath = configFile ?? env[envName('config', envPrefix)];
  if (configPath) {
    try {
      fileValues = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`config file ${configPath}: ${(error as Error).message}`);
    }
    const known = new Set(specs.map((s) => s.key));
    const unknown = Object.keys(fileValues).filter((k) => !known.has(k));
    if (unknown.length) throw new ConfigError(`config file ${configPath}: unknown keys ${unknown.join(', ')}`);
  }
  const out: OptionValues = {};
  for (const spec of specs) {
    const raw = flags[spec.key] ?? env[envName(spec.key, envPrefix)] ?? fileValues[spec.key];
    out[spec.key] = raw === undefined ? spec.default : parseValue(spec, raw);
  }
  return out;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

export function serverConfigFrom(values: OptionValues): ServerConfig {
  const str = (k: OptionKey) => (values[k] === undefined ? undefined : String(values[k]));
  const num = (k: OptionKey) => Number(values[k]);
  const sync = str('sync');
  if (sync !== 'normal' && sync !== 'full') throw new ConfigError(`sync: expected normal or full, got "${sync}"`);
  const documents = str('documents');
  if (documents !== 'directory' && documents !== 'database') throw new ConfigError(`documents: expected directory or database, got "${documents}"`);
  if (documents === 'database' && !/^postgres(ql)?:\/\//.test(str('database') ?? '')) throw new ConfigError('documents: database keeps documents in PostgreSQL and needs --database postgres://…; with SQLite use --documents directory');
  for (const key of ['http-port', 'xmpp-port', 'xmpps-port', 'ccs-port', 'ccs-plain-port', 'ipps-port'] as const) {
    const port = num(key);
    if (port < -1 || port > 65535) throw new ConfigError(`${key}: ${port} is not a port number`);
  }
  if (num('http-port') < 0) throw new ConfigError('http-port: the HTTP port cannot be turned off');
  if (num('database-pool-size') < 1) throw new ConfigError('database-pool-size: at least 1 connection');
  if (num('ipps-public-port') < 0 || num('ipps-public-port') > 65535) throw new ConfigError(`ipps-public-port: ${num('ipps-public-port')} is not a port number`);
  if (num('bus-registry-ttl') < 3) throw new ConfigError('bus-registry-ttl: at least 3 seconds (it is refreshed every third of it)');
  if (num('conversion-workers') < 1) throw new ConfigError('conversion-workers: at least 1, or no document is ever converted');
  if (num('conversion-max-output') < 4096) throw new ConfigError('conversion-max-output: at least 4096 bytes');
  if (num('max-json-depth') < 1) throw new ConfigError('max-json-depth: at least 1, or no JSON object is accepted');
  const metricsAccess = str('metrics-access');
  if (metricsAccess !== 'loopback' && metricsAccess !== 'token' && metricsAccess !== 'open') throw new ConfigError(`metrics-access: expected loopback, token or open, got "${metricsAccess}"`);
  if (metricsAccess === 'token' && !str('metrics-token-file')) throw new ConfigError('metrics-access token needs metrics-token-file');
  const publicUrl = str('public-url');
  const proxies = (str('trusted-proxies') ?? '').split(',').map((entry) => entry.trim()).filter(Boolean);
  try {
    trustedProxies(proxies);
  } catch (error) {
    throw new ConfigError(`trusted-proxies: ${(error as Error).message}`);
  }
  // §2.2 of the PROXY protocol: a version 2 header with two AF_UNIX addresses is 232 bytes.
  if (num('proxy-header-max-size') < 232) throw new ConfigError('proxy-header-max-size: at least 232 bytes, the longest header without TLVs');
  if (publicUrl !== undefined && !isHttpUrl(publicUrl)) throw new ConfigError(`public-url: expected an http:// or https:// URL, got "${publicUrl}"`);
  return {
    dataDir: resolve(str('data') ?? './data'),
    host: str('host') ?? '127.0.0.1',
    httpPort: num('http-port'),
    xmppPort: num('xmpp-port'),
    xmppsPort: num('xmpps-port'),
    ccsPort: num('ccs-port'),
    ccsPlainPort: num('ccs-plain-port'),
    domain: str('domain') ?? 'localhost',
    publicUrl: str('public-url')?.replace(/\/+$/, ''),
    database: str('database') ?? 'sqlite',
    databasePoolSize: num('database-pool-size'),
    bus: str('bus') ?? 'local',
    busRegistryTtlSeconds: num('bus-registry-ttl'),
    documents,
    sync,
    tlsCert: str('tls-cert'),
    tlsKey: str('tls-key'),
    tlsNames: (str('tls-name') ?? '').split(',').map((name) => name.trim()).filter(Boolean),
    maxDocumentSize: num('max-document-size'),
    jobRetentionSeconds: num('job-retention'),
    conversionWorkers: num('conversion-workers'),
    conversionTimeoutSeconds: num('conversion-timeout'),
    conversionMemory: num('conversion-memory'),
    conversionMaxOutput: num('conversion-max-output'),
    accessTokenTtlSeconds: num('access-token-ttl'),
    signInFreeFailures: num('sign-in-free-failures'),
    signInBackoffSeconds: num('sign-in-backoff'),
    signInMaxBackoffSeconds: num('sign-in-max-backoff'),
    signInFailuresPerSource: num('sign-in-failures-per-source'),
    deviceCodeTtlSeconds: num('device-code-ttl'),
    deviceCodeIntervalSeconds: num('device-code-interval'),
    deviceCodesPerMinute: num('device-codes-per-minute'),
    userCodeFailuresPerMinute: num('user-code-failures-per-minute'),
    consoleHeartbeatSeconds: num('console-heartbeat'),
    consoleStreamsPerAccount: num('console-streams-per-account'),
    consoleApiTokensPerAccount: num('console-api-tokens-per-account'),
    registrationTtlSeconds: num('registration-ttl'),
    anonymousRegistrationsPerMinute: num('anonymous-registrations-per-minute'),
    maxJsonDepth: num('max-json-depth'),
    httpIdleTimeoutSeconds: num('http-idle-timeout'),
    httpMaxConnectionsPerAddress: num('http-max-connections-per-address'),
    maxFieldSize: num('max-field-size'),
    maxJsonFieldSize: num('max-json-field-size'),
    maxStanzaSize: num('max-stanza-size'),
    maxConnectionsPerAccount: num('max-connections-per-account'),
    xmppMaxBuffered: num('xmpp-max-buffered'),
    xmppMaxAuthFailures: num('xmpp-max-auth-failures'),
    xmppAuthFailuresPerMinute: num('xmpp-auth-failures-per-minute'),
    xmppAuthFailureDelaySeconds: num('xmpp-auth-failure-delay'),
    xmppHandshakeTimeoutSeconds: num('xmpp-handshake-timeout'),
    xmppIdleTimeoutSeconds: num('xmpp-idle-timeout'),
    xmppPingTimeoutSeconds: num('xmpp-ping-timeout'),
    xmppCredentialCheckSeconds: num('xmpp-credential-check'),
    ccsMaxPending: num('ccs-max-pending'),
    ccsDeviceRate: num('ccs-device-rate'),
    ccsDrainGraceSeconds: num('ccs-drain-grace'),
    ippsPort: num('ipps-port'),
    ippsPublicPort: num('ipps-public-port'),
    ippBasicOverHttp: values['ipp-basic-over-http'] === true,
    ippMaxAttributesSize: num('ipp-max-attributes-size'),
    ippMaxQueuedJobs: num('ipp-max-queued-jobs'),
    ippJobTimeoutSeconds: num('ipp-job-timeout'),
    ippAdvertise: values['ipp-advertise'] === true,
    ippAdvertiseInterface: str('ipp-advertise-interface'),
    ippAdvertiseInterval: Math.max(1, num('ipp-advertise-interval')),
    metricsAccess,
    metricsTokenFile: str('metrics-token-file'),
    readinessTimeoutSeconds: num('readiness-timeout'),
    shutdownDelaySeconds: num('shutdown-delay'),
    trustedProxies: proxies,
    proxyHeaderTimeoutSeconds: num('proxy-header-timeout'),
    proxyHeaderMaxSize: num('proxy-header-max-size'),
    nodeId: str('node-id'),
    logLevel: str('log-level') ?? 'info',
  };
}

/** A complete configuration for tests and embedding: defaults plus overrides. */
export function defaultServerConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return { ...serverConfigFrom(resolveOptions(SERVER_OPTIONS, {}, {})), ...overrides };
}
