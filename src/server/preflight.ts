// `ocp check`: what would stop, or trouble, a server started with this
// configuration, found without starting it (after prosodyctl check): the
// data directory's permissions, the database and its migrations, the TLS
// certificate's dates and names, the ports, the Redis bus, and the clock.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Redis } from 'ioredis';
import * as x509 from '@peculiar/x509';
import type { ServerConfig } from '../config.ts';
import { migrationState, NoDatabaseError, openStore, redactUrl } from '../store/db.ts';
import { canonicalName, certificateNames } from '../tls/material.ts';
import { serverNames } from '../tls/names.ts';
import { runningHolder } from './data-lock.ts';
import { OPERATOR_TOKEN_FILE } from './operator.ts';

export type Level = 'ok' | 'warn' | 'fail';

export interface Finding {
  check: 'data' | 'database' | 'certificate' | 'ports' | 'bus' | 'clock';
  level: Level;
  detail: string;
}

/** How long a database or Redis probe may take. */
const PROBE_TIMEOUT_MS = 5000;
/** Further apart than this, the clocks of this machine and a database or Redis server are not sane. */
const MAX_CLOCK_SKEW_MS = 60_000;
/** A clock before this date was never set (this code did not exist). */
const EARLIEST_SANE_CLOCK = Date.UTC(2026, 0, 1);
const RENEW_WARNING_MS = 30 * 24 * 3600 * 1000;
/** Files in DATA no other user may read. */
const PRIVATE_FILES = ['tls/ca-key.pem', 'tls/server-key.pem', OPERATOR_TOKEN_FILE];

function finding(check: Finding['check'], level: Level, detail: string): Finding {
  return { check, level, detail };
}

function mode(bits: number): string {
  return (bits & 0o777).toString(8).padStart(4, '0');
}

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${PROBE_TIMEOUT_MS / 1000} s`)), PROBE_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function checkDataDirectory(dataDir: string): Finding[] {
  if (!existsSync(dataDir)) return [finding('data', 'warn', `${dataDir} does not exist yet: the server makes it at first start (if it already ran, --data is wrong)`)];
  const stat = statSync(dataDir);
  if (!stat.isDirectory()) return [finding('data', 'fail', `${dataDir} is not a directory`)];
  const found: Finding[] = [];
  if (stat.mode & 0o022) found.push(finding('data', 'fail', `${dataDir} is writable by other users (mode ${mode(stat.mode)}): chmod 700 ${dataDir}`));
  else if (stat.mode & 0o077) found.push(finding('data', 'warn', `${dataDir} is open to other users (mode ${mode(stat.mode)}): chmod 700 ${dataDir}`));
  if (process.getuid && stat.uid !== process.getuid()) found.push(finding('data', 'warn', `${dataDir} belongs to uid ${stat.uid}, not to this user (uid ${process.getuid()}): run the server and this check as its owner`));
  for (const name of PRIVATE_FILES) {
    const file = join(dataDir, name);
    if (existsSync(file) && statSync(file).mode & 0o077) found.push(finding('data', 'fail', `${file} is readable by other users (mode ${mode(statSync(file).mode)}): chmod 600 ${file}`));
  }
  if (!found.length) found.push(finding('data', 'ok', `${dataDir} (mode ${mode(stat.mode)})`));
  return found;
}

/** The database check; also returns the database server's clock (PostgreSQL) for the clock check. */
export async function checkDatabase(config: ServerConfig): Promise<{ findings: Finding[]; serverTimeMs?: number }> {
  const where = config.database === 'sqlite' ? join(config.dataDir, 'ocp.sqlite') : redactUrl(config.database);
  let store;
  try {
    store = await withTimeout(openStore({ database: config.database, dataDir: config.dataDir, create: false, migrate: false }), `the database at ${where}`);
  } catch (error) {
    if (error instanceof NoDatabaseError) return { findings: [finding('database', 'warn', `${error.message}: the server creates it at first start (if it already ran, --data or --database is wrong)`)] };
    return { findings: [finding('database', 'fail', `cannot open the database at ${where}: ${(error as Error).message}`)] };
  }
  try {
    const state = await withTimeout(migrationState(store.db), 'the database');
    let serverTimeMs: number | undefined;
    if (store.dialect === 'postgres') {
      const { rows } = await sql<{ ms: string }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as ms`.execute(store.db);
      serverTimeMs = Number(rows[0]?.ms);
    }
    if (state.unknown.length) return { findings: [finding('database', 'fail', `${where} was migrated by a newer version (${state.unknown.join(', ')}): run that version, or restore a backup taken before the upgrade`)], serverTimeMs };
    if (state.pending.length) return { findings: [finding('database', 'warn', `${where}: ${state.pending.length} migration(s) pending (${state.pending.join(', ')}); the server runs them at start, back up first (docs/operations.md)`)], serverTimeMs };
    return { findings: [finding('database', 'ok', `${where}, ${state.applied} migrations applied`)], serverTimeMs };
  } catch (error) {
    return { findings: [finding('database', 'fail', `${where}: ${(error as Error).message}`)] };
  } finally {
    await store.close();
  }
}

function certificateDates(cert: x509.X509Certificate, label: string, now: number): Finding | undefined {
  if (cert.notBefore.getTime() > now) return finding('certificate', 'fail', `${label} is not valid before ${cert.notBefore.toISOString()}: check the clock`);
  if (cert.notAfter.getTime() < now) return finding('certificate', 'fail', `${label} expired on ${cert.notAfter.toISOString()}`);
  if (cert.notAfter.getTime() - now < RENEW_WARNING_MS) return finding('certificate', 'warn', `${label} expires on ${cert.notAfter.toISOString()}`);
  return undefined;
}

export async function checkCertificate(config: ServerConfig, now = Date.now()): Promise<Finding[]> {
  if (config.tlsCert) {
    let pem: string;
    let cert: x509.X509Certificate;
    try {
      pem = readFileSync(config.tlsCert, 'utf8');
      cert = new x509.X509Certificate(pem);
      if (config.tlsKey) readFileSync(config.tlsKey);
    } catch (error) {
      return [finding('certificate', 'fail', `--tls-cert/--tls-key: ${(error as Error).message}`)];
    }
    const names = new Set(certificateNames(pem));
    const wanted = [...(config.publicUrl ? [new URL(config.publicUrl).hostname] : []), ...config.tlsNames].map(canonicalName);
    const missing = wanted.filter((name) => !names.has(name));
    const findings = [certificateDates(cert, config.tlsCert, now)].filter((f) => f !== undefined);
    if (missing.length) findings.push(finding('certificate', 'fail', `${config.tlsCert} does not name ${missing.join(', ')} (it names ${[...names].join(', ')}): devices reaching the server there will refuse it`));
    return findings.length ? findings : [finding('certificate', 'ok', `${config.tlsCert} names ${[...names].join(', ')}, valid until ${cert.notAfter.toISOString()}`)];
  }
  const dir = join(config.dataDir, 'tls');
  const serverPem = join(dir, 'server.pem');
  if (!existsSync(serverPem)) return [finding('certificate', 'ok', `none yet: the server issues one from its private CA at first start`)];
  let cert: x509.X509Certificate;
  let ca: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(readFileSync(serverPem, 'utf8'));
    ca = new x509.X509Certificate(readFileSync(join(dir, 'ca.pem'), 'utf8'));
  } catch (error) {
    return [finding('certificate', 'fail', `${dir}: ${(error as Error).message}`)];
  }
  const findings: Finding[] = [];
  const caDates = certificateDates(ca, join(dir, 'ca.pem'), now);
  if (caDates) findings.push(caDates);
  if (!(await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }))) findings.push(finding('certificate', 'warn', `${serverPem} is not signed by ${join(dir, 'ca.pem')}: the server issues a new one at start`));
  const names = new Set(certificateNames(cert.toString('pem')));
  const missing = serverNames(config).map(canonicalName).filter((name) => !names.has(name));
  if (missing.length) findings.push(finding('certificate', 'warn', `${serverPem} does not name ${missing.join(', ')} yet: the server issues a new one from the same CA at its next start`));
  const dates = certificateDates(cert, serverPem, now);
  if (dates?.level === 'fail' && dates.detail.includes('expired')) findings.push(finding('certificate', 'warn', `${dates.detail}: the server issues a new one at its next start`));
  else if (dates) findings.push(dates);
  return findings.length ? findings : [finding('certificate', 'ok', `${serverPem} names ${[...names].join(', ')}, valid until ${cert.notAfter.toISOString()}`)];
}

function probePort(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'EADDRINUSE' ? 'in use' : error.code === 'EACCES' ? 'needs privileges (below 1024)' : error.code === 'EADDRNOTAVAIL' ? `${host} is no address of this machine` : error.message));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(undefined)));
  });
}

export async function checkPorts(config: ServerConfig): Promise<Finding[]> {
  const holder = runningHolder(config.dataDir);
  if (holder) return [finding('ports', 'ok', `not probed: the server on this data directory runs (pid ${holder.pid}) and holds them`)];
  const ports = { 'http-port': config.httpPort, 'xmpp-port': config.xmppPort, 'xmpps-port': config.xmppsPort, 'ccs-port': config.ccsPort, 'ccs-plain-port': config.ccsPlainPort };
  const findings: Finding[] = [];
  for (const [key, port] of Object.entries(ports)) {
    if (port <= 0) continue;
    const problem = await probePort(config.host, port);
    if (problem) findings.push(finding('ports', 'fail', `${key} ${config.host}:${port}: ${problem}`));
  }
  const probed = Object.values(ports).filter((port) => port > 0);
  return findings.length ? findings : [finding('ports', 'ok', `${config.host}: ${probed.join(', ')} free`)];
}

/** The Redis bus check; also returns Redis' clock for the clock check. */
export async function checkBus(config: ServerConfig): Promise<{ findings: Finding[]; serverTimeMs?: number }> {
  if (config.bus === 'local') return { findings: [finding('bus', 'ok', 'local (one node)')] };
  const url = new URL(config.bus);
  url.searchParams.delete('channel');
  const redis = new Redis(url.toString(), { lazyConnect: true, connectTimeout: PROBE_TIMEOUT_MS, maxRetriesPerRequest: 0, retryStrategy: () => null });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error));
  try {
    await withTimeout(redis.connect(), `Redis at ${redactUrl(config.bus)}`);
    const [seconds, micros] = await withTimeout(redis.time(), 'Redis');
    return { findings: [finding('bus', 'ok', `Redis at ${redactUrl(config.bus)} answers`)], serverTimeMs: Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) };
  } catch (error) {
    // ioredis rejects with "Connection is closed"; the socket's own error says why.
    return { findings: [finding('bus', 'fail', `Redis at ${redactUrl(config.bus)}: ${(lastError ?? (error as Error)).message}`)] };
  } finally {
    redis.disconnect();
  }
}

export function checkClock(references: Record<string, number | undefined>, now = Date.now()): Finding[] {
  if (now < EARLIEST_SANE_CLOCK) return [finding('clock', 'fail', `this machine's clock says ${new Date(now).toISOString()}: it was never set; tokens and certificates will fail`)];
  const findings: Finding[] = [];
  const compared: string[] = [];
  for (const [name, time] of Object.entries(references)) {
    if (time === undefined) continue;
    const skew = Math.round((now - time) / 1000);
    if (Math.abs(now - time) > MAX_CLOCK_SKEW_MS) findings.push(finding('clock', 'fail', `this machine's clock is ${skew} s off ${name}'s: set both by NTP`));
    else compared.push(`${name} ${skew} s`);
  }
  return findings.length ? findings : [finding('clock', 'ok', `${new Date(now).toISOString()}${compared.length ? ` (off ${compared.join(', ')})` : ''}`)];
}

export async function preflight(config: ServerConfig): Promise<Finding[]> {
  // The modes first: opening the database tightens a data directory others can read.
  const dataDirectory = checkDataDirectory(config.dataDir);
  const database = await checkDatabase(config);
  const bus = await checkBus(config);
  return [
    ...dataDirectory,
    ...database.findings,
    ...(await checkCertificate(config)),
    ...(await checkPorts(config)),
    ...bus.findings,
    ...checkClock({ PostgreSQL: database.serverTimeMs, Redis: bus.serverTimeMs }),
  ];
}
