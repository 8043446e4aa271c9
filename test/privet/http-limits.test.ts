// The printer's HTTP servers (Privet API and front panel) close clients that
// stop sending (--http-idle-timeout) and cap the connections one address may
// hold (--max-connections-per-address), so a LAN neighbour cannot hold the
// printer's sockets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStalled } from '../helpers/stalled.ts';
import { seedRegistration, startPrinter, tempDir, type TestPrinter } from './helpers.ts';

const CAP = 5;
let printer: TestPrinter;

before(async () => {
  const dataDir = tempDir();
  seedRegistration(dataDir);
  printer = await startPrinter({ dataDir, args: ['--no-mdns', '--http-idle-timeout', '1', '--max-connections-per-address', String(CAP)] });
});
after(async () => {
  await printer.stop();
  printer.cleanup();
});

const portOf = (url: string) => Number(new URL(url).port);

test('a half-sent submitdoc, half-sent headers and a stalled panel request are closed after the idle timeout', async () => {
  const token = await printer.token();
  const started = Date.now();
  const clients = await Promise.all([
    openStalled(portOf(printer.privet), `POST /privet/printer/submitdoc HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Privet-Token: ${token}\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nhalf a document`),
    openStalled(portOf(printer.privet), 'GET /privet/info HTTP/1.1\r\nHost: 127.0.0.1\r\n'),
    openStalled(portOf(printer.panel), 'POST /panel/state HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{"onl'),
  ]);
  const timedOut = setTimeout(() => clients.forEach((c) => c.socket.destroy()), 15_000);
  await Promise.all(clients.map((c) => c.closed));
  clearTimeout(timedOut);
  const ms = Date.now() - started;
  assert.ok(ms >= 900 && ms < 10_000, `closed after ${ms} ms`);
  // The printer is not left busy by the abandoned upload.
  assert.equal((await printer.call('/privet/info', { token: '' })).status, 200);
});

test('one address holding its share of connections does not keep another address out', async () => {
  const head = 'POST /privet/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n';
  const held = [];
  try {
    for (let i = 0; i < CAP; i++) held.push(await openStalled(portOf(printer.privet), head, '127.0.0.2'));
    const refused = await openStalled(portOf(printer.privet), head, '127.0.0.2');
    await refused.closed;
    assert.ok(held.every((c) => !c.socket.destroyed), 'the first connections are still open');
    assert.equal((await printer.call('/privet/info', { token: '' })).status, 200);
  } finally {
    for (const client of held) client.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
  }
});
