import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, resolveOptions, serverConfigFrom, SERVER_OPTIONS, type OptionTable } from '../src/config.ts';
import { OPTION_TABLES, optionsTable, withCurrentTables } from '../src/config-doc.ts';
import { PRINTER_TABLE, printerConfigFrom } from '../src/privet/options.ts';
import { CONNECTOR_TABLE, connectorConfigFrom } from '../src/connector/options.ts';
import { tempDir } from './helpers/server.ts';

const load = (flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, file?: string) =>
  serverConfigFrom(resolveOptions(SERVER_OPTIONS, flags, env, file));

test('flags beat environment, environment beats the config file, the file beats defaults', () => {
  const file = join(tempDir(), 'ocp.json');
  writeFileSync(file, JSON.stringify({ 'http-port': 1111, domain: 'file.example', 'log-level': 'warn' }));
  const config = load({ 'http-port': '3333' }, { OCP_HTTP_PORT: '2222', OCP_DOMAIN: 'env.example' }, file);
  assert.equal(config.httpPort, 3333);
  assert.equal(config.domain, 'env.example');
  assert.equal(config.logLevel, 'warn');
  assert.equal(config.xmppPort, 5222);
});

test('sizes and durations take units', () => {
  const config = load({ 'max-document-size': '20M', 'job-retention': '7d', 'access-token-ttl': '15m' });
  assert.equal(config.maxDocumentSize, 20 * 1024 * 1024);
  assert.equal(config.jobRetentionSeconds, 7 * 86400);
  assert.equal(config.accessTokenTtlSeconds, 900);
});

test('bad values and unknown config keys are refused with the option named', () => {
  assert.throws(() => load({ 'http-port': 'eighty' }), (e: Error) => e instanceof ConfigError && /http-port/.test(e.message));
  assert.throws(() => load({ 'xmpp-port': '70000' }), /xmpp-port: 70000 is not a port/);
  assert.throws(() => load({ 'http-port': '-1' }), /cannot be turned off/);
  assert.throws(() => load({ sync: 'sometimes' }), /sync: expected normal or full/);
  assert.throws(() => load({ 'bus-registry-ttl': '2s' }), /bus-registry-ttl: at least 3 seconds/);
  assert.equal(load({ 'bus-registry-ttl': '1m' }).busRegistryTtlSeconds, 60);
  assert.throws(() => load({ 'ipps-public-port': '70000' }), /ipps-public-port: 70000 is not a port/);
  assert.throws(() => load({ 'database-pool-size': '0' }), /database-pool-size: at least 1/);
  assert.equal(load({ 'database-pool-size': '4' }).databasePoolSize, 4);
  const file = join(tempDir(), 'ocp.json');
  writeFileSync(file, JSON.stringify({ 'htp-port': 1 }));
  assert.throws(() => load({}, {}, file), /unknown keys htp-port/);
});

const resolveFor = (table: OptionTable, flags: Record<string, unknown>, env: NodeJS.ProcessEnv = {}, file?: string) =>
  resolveOptions(table.options, flags, env, file, table.envPrefix);
const required = { name: 'P', cloud: 'http://127.0.0.1:9' };

test('each command reads its own environment prefix: OCP_PRINTER_*, OCP_CONNECTOR_*, and the server OCP_*', () => {
  const env = { OCP_DATA: '/srv/server', OCP_PRINTER_DATA: '/srv/printer', OCP_CONNECTOR_DATA: '/srv/connector', OCP_CUPS: 'wrong:1', OCP_CONNECTOR_CUPS: 'cups.lan:631' };
  assert.equal(load({}, env).dataDir, '/srv/server');
  assert.equal(printerConfigFrom(resolveFor(PRINTER_TABLE, required, env)).printer.dataDir, '/srv/printer');
  const connector = connectorConfigFrom(resolveFor(CONNECTOR_TABLE, {}, env)).connector;
  assert.equal(connector.dataDir, '/srv/connector');
  assert.equal(connector.cups, 'cups.lan:631');
});

test('the printer table: units, yes/no options, ranges, and name and cloud required', () => {
  const file = join(tempDir(), 'printer.json');
  writeFileSync(file, JSON.stringify({ mdns: false, 'auto-confirm': 'yes', 'max-document-size': '10M', 'job-lifetime': '2m' }));
  const { printer, console: panel } = printerConfigFrom(resolveFor(PRINTER_TABLE, required, { OCP_PRINTER_CONSOLE: 'off', OCP_PRINTER_CLOUD_TIMEOUT: '1m' }, file));
  assert.equal(printer.mdns, false);
  assert.equal(printer.autoConfirm, true);
  assert.equal(panel, false);
  assert.equal(printer.maxDocumentSize, 10 * 1024 ** 2);
  assert.equal(printer.cloudTimeoutMs, 60_000);
  assert.equal(printer.jobLimits?.finishedLifetimeMs, 120_000);
  assert.deepEqual(printer.httpGuard, { idleTimeoutMs: 30_000, maxConnectionsPerAddress: 32 });
  assert.throws(() => printerConfigFrom(resolveFor(PRINTER_TABLE, { cloud: 'http://x' })), /name and cloud are required/);
  assert.throws(() => printerConfigFrom(resolveFor(PRINTER_TABLE, { ...required, port: '70000' })), /port: 70000 is out of range/);
  assert.throws(() => printerConfigFrom(resolveFor(PRINTER_TABLE, { ...required, 'download-attempts': '0' })), /download-attempts: 0 is out of range/);
  assert.throws(() => printerConfigFrom(resolveFor(PRINTER_TABLE, { ...required, output: '/o', cups: 'q' })), /exclude each other/);
  assert.throws(() => resolveFor(PRINTER_TABLE, { mdns: 'maybe' }), /mdns: expected true or false/);
});

test('the connector table: units and a sync interval of at least a second', () => {
  assert.equal(connectorConfigFrom(resolveFor(CONNECTOR_TABLE, { 'sync-interval': '5m' })).connector.syncIntervalMs, 300_000);
  assert.throws(() => connectorConfigFrom(resolveFor(CONNECTOR_TABLE, { 'sync-interval': '0' })), /sync-interval: at least 1/);
  const file = join(tempDir(), 'connector.json');
  writeFileSync(file, JSON.stringify({ 'http-port': 1 }));
  assert.throws(() => resolveFor(CONNECTOR_TABLE, {}, { OCP_CONNECTOR_CONFIG: file }), /unknown keys http-port/);
});

test('docs/configuration.md lists every option of the three commands as the code defines it (run `npm run docs` if this fails)', () => {
  const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  assert.deepEqual(OPTION_TABLES.map((t) => t.command), ['server', 'printer', 'connector']);
  for (const table of OPTION_TABLES) assert.ok(doc.includes(optionsTable(table)), `the ${table.command} table is current`);
  assert.equal(doc, withCurrentTables(doc));
});

test('a public-url that is no http(s) URL is refused; tls-name is a comma-separated list', () => {
  for (const bad of ['printhost:8080', 'ftp://printhost', 'http://']) {
    assert.throws(() => load({ 'public-url': bad }), (e: Error) => e instanceof ConfigError && /public-url/.test(e.message), bad);
  }
  assert.equal(load({ 'public-url': 'http://10.88.0.1:8080/' }).publicUrl, 'http://10.88.0.1:8080');
  assert.deepEqual(load({ 'tls-name': ' print.lan, 10.0.0.5 ,' }).tlsNames, ['print.lan', '10.0.0.5']);
});

test('trusted-proxies is a comma-separated list of addresses and CIDR blocks; anything else is refused', () => {
  assert.deepEqual(load({}).trustedProxies, []);
  assert.deepEqual(load({ 'trusted-proxies': ' 10.0.0.11, 10.1.0.0/16 ,2001:db8::/32' }).trustedProxies, ['10.0.0.11', '10.1.0.0/16', '2001:db8::/32']);
  for (const bad of ['haproxy.lan', '10.0.0.0/33', '10.0.0.1/8/1', '::1/129', '10.0.0.0/x']) {
    assert.throws(() => load({ 'trusted-proxies': bad }), (e: Error) => e instanceof ConfigError && e.message.includes(`trusted-proxies: "${bad}"`), bad);
  }
  assert.throws(() => load({ 'proxy-header-max-size': '100' }), (e: Error) => e instanceof ConfigError && /proxy-header-max-size/.test(e.message));
});
