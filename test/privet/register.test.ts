// Privet §4, §4.3, §6.1, §6.2 against a real out-of-the-box `ocp printer`
// (no cloud reachable: the cloud half of registration answers `offline`).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { startPrinter, waitFor, type TestPrinter } from './helpers.ts';

let printer: TestPrinter;
before(async () => {
  printer = await startPrinter({ args: ['--confirmation-timeout', '1', '--no-mdns'] });
});
after(async () => {
  await printer.stop();
  printer.cleanup();
});

const register = (action: string, user = 'alice@example.com', token?: string) =>
  printer.call(`/privet/register?action=${action}&user=${encodeURIComponent(user)}`, { method: 'POST', token });

test('§4.2 /privet/info takes an empty token and shows an out-of-the-box device', async () => {
  const info = await printer.info();
  assert.equal(info.version, '1.0');
  assert.equal(info.name, 'Test Printer');
  assert.deepEqual(info.type, ['printer']);
  assert.equal(info.id, '');
  assert.deepEqual(info.api, ['/privet/register']); // §6.1: only info and register out of the box
  assert.match(String(info.serial_number), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(info.device_state, 'idle');
  assert.ok(['online', 'offline', 'connecting', 'not-configured'].includes(String(info.connection_state)));
  for (const key of ['manufacturer', 'model', 'firmware', 'update_url', 'x-privet-token']) assert.ok(info[key], key);
});

test('§4 a missing X-Privet-Token is "HTTP/1.1 400 Missing X-Privet-Token header."', async () => {
  const url = new URL(printer.privet + '/privet/info');
  const statusLine = await new Promise<string>((resolve, reject) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(`HTTP/${res.httpVersion} ${res.statusCode} ${res.statusMessage}`);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(statusLine, 'HTTP/1.1 400 Missing X-Privet-Token header.');
  const reg = await printer.call('/privet/register?action=start&user=a@b.c', { method: 'POST', token: null });
  assert.equal(reg.status, 400);
});

test('§4/§6.2 an empty or forged token is invalid_x_privet_token with HTTP 200', async () => {
  for (const token of ['', 'Zm9vOjEyMw==', Buffer.from(`AAAA:${Math.floor(Date.now() / 1000)}`).toString('base64')]) {
    const reply = await register('start', 'alice@example.com', token);
    assert.equal(reply.status, 200);
    assert.equal(reply.json.error, 'invalid_x_privet_token');
  }
});

test('§6.2 the token is base64(SHA1(secret:counter):counter) with a current counter', async () => {
  const token = await printer.token();
  const decoded = Buffer.from(token, 'base64').toString('latin1');
  const [digest, counter] = decoded.split(':');
  assert.equal(Buffer.from(digest!, 'base64').length, 20);
  assert.ok(Math.abs(Number(counter) - Date.now() / 1000) < 5);
});

test('§4 APIs not exposed out of the box are 404', async () => {
  for (const path of ['/privet/accesstoken?user=a@b.c', '/privet/capabilities', '/privet/printer/createjob', '/privet/printer/submitdoc', '/privet/printer/jobstate?job_id=1', '/privet/nothing']) {
    const reply = await printer.call(path, { method: path.includes('job') && !path.includes('state') ? 'POST' : 'GET' });
    assert.equal(reply.status, 404, path);
  }
});

test('§4.3.3 invalid_params for an unknown action or an empty user; invalid_action before start', async () => {
  assert.equal((await register('dance')).json.error, 'invalid_params');
  assert.equal((await register('start', '')).json.error, 'invalid_params');
  assert.equal((await register('getClaimToken')).json.error, 'invalid_action');
  assert.equal((await register('complete')).json.error, 'invalid_action');
});

test('§4.3/§6.1 pending_user_action until the panel answers; device_busy for another user; user_cancel from the panel', async () => {
  const start = await register('start');
  assert.deepEqual(start.json, { action: 'start', user: 'alice@example.com' });
  assert.deepEqual((await printer.panelState()).prompt, { kind: 'register', user: 'alice@example.com' });
  const pending = await register('getClaimToken');
  assert.equal(pending.json.error, 'pending_user_action');
  assert.equal(pending.json.timeout, 5);
  const busy = await register('start', 'mallory@example.com');
  assert.equal(busy.json.error, 'device_busy');
  assert.equal(busy.json.timeout, 30);
  assert.equal((await register('getClaimToken', 'mallory@example.com')).json.error, 'device_busy');
  // complete before the claim token is an invalid action
  assert.equal((await register('complete')).json.error, 'invalid_action');
  await printer.panelPost('/panel/cancel');
  assert.equal((await register('getClaimToken')).json.error, 'user_cancel');
  assert.equal((await printer.panelState()).prompt, null);
});

test('§6.1 confirmation_timeout when nobody presses OK in time', async () => {
  await register('start');
  await new Promise((r) => setTimeout(r, 1300));
  assert.equal((await register('getClaimToken')).json.error, 'confirmation_timeout');
});

test('§4.3 the same user starting again discards the old session; cancel ends it', async () => {
  await register('start');
  await register('start');
  assert.deepEqual((await register('cancel')).json, { action: 'cancel', user: 'alice@example.com' });
  assert.equal((await register('getClaimToken')).json.error, 'invalid_action');
});

test('§6.1 the cloud /register is sent only after OK; an unreachable cloud gives offline', async () => {
  await register('start');
  assert.equal((await register('getClaimToken')).json.error, 'pending_user_action');
  await printer.panelPost('/panel/confirm');
  const reply = await waitFor('registration failure', async () => {
    const r = await register('getClaimToken');
    return r.json.error === 'pending_user_action' ? undefined : r;
  });
  assert.equal(reply.json.error, 'offline');
});

test('panel endpoints validate their input and listen on 127.0.0.1 only', async () => {
  const bad = await fetch(printer.panel + '/panel/state', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"paper":"maybe"}' });
  assert.equal(bad.status, 400);
  // Read the listening sockets instead of probing the host's LAN address: no traffic off loopback.
  const listening = (port: string) => execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' });
  const panelPort = new URL(printer.panel).port;
  assert.match(listening(panelPort), new RegExp(`127\\.0\\.0\\.1:${panelPort}\\b`));
  assert.doesNotMatch(listening(panelPort), /(0\.0\.0\.0|\*|\[::\]):\d+/);
  // The Privet API, by contrast, faces the LAN.
  assert.match(listening(new URL(printer.privet).port), /(0\.0\.0\.0|\*|\[::\]):\d+/);
});
