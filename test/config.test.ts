import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, resolveOptions, serverConfigFrom, SERVER_OPTIONS } from '../src/config.ts';
import { withCurrentTable } from '../src/config-doc.ts';
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
  const file = join(tempDir(), 'ocp.json');
  writeFileSync(file, JSON.stringify({ 'htp-port': 1 }));
  assert.throws(() => load({}, {}, file), /unknown keys htp-port/);
});

test('docs/configuration.md lists every option as the code defines it (run `npm run docs` if this fails)', () => {
  const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(doc, withCurrentTable(doc));
});

test('a public-url that is no http(s) URL is refused; tls-name is a comma-separated list', () => {
  for (const bad of ['printhost:8080', 'ftp://printhost', 'http://']) {
    assert.throws(() => load({ 'public-url': bad }), (e: Error) => e instanceof ConfigError && /public-url/.test(e.message), bad);
  }
  assert.equal(load({ 'public-url': 'http://10.88.0.1:8080/' }).publicUrl, 'http://10.88.0.1:8080');
  assert.deepEqual(load({ 'tls-name': ' print.lan, 10.0.0.5 ,' }).tlsNames, ['print.lan', '10.0.0.5']);
});
