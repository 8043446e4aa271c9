// Durability: `kill -9` of a real `./bin/ocp server` while an app server
// streams downstream messages; after a restart, every message that was ACKed
// reaches the device. Also `ocp sender create --json` and `ocp ccs drain`
// against that real process.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/server.ts';
import { CcsAppServer } from '../../src/ccs/sdk/appserver.ts';
import { CcsDevice, type DownstreamMessage } from '../../src/ccs/sdk/device.ts';
import { settle } from './helpers.ts';

const ocp = new URL('../../bin/ocp', import.meta.url).pathname;
const run = promisify(execFile);
const dataDir = tempDir('ocp-ccs-crash-');
const flags = ['--data', dataDir, '--host', '127.0.0.1', '--http-port', '0', '--xmpp-port', '0', '--xmpps-port', '0', '--ccs-port', '0', '--ccs-device-rate', '0', '--log-level', 'error'];
let child: ChildProcess | undefined;

async function startServer(): Promise<Record<string, number>> {
  rmSync(join(dataDir, 'ports.json'), { force: true });
  child = spawn(ocp, ['server', ...flags], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 200 && !existsSync(join(dataDir, 'ports.json')); i++) await settle(50);
  return JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as Record<string, number>;
}

after(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('every message ACKed before kill -9 is delivered after the restart', { timeout: 60_000 }, async () => {
  const { stdout } = await run(ocp, ['sender', 'create', 'crash-test', '--json', '--init', '--data', dataDir]);
  const { sender_id, api_key } = JSON.parse(stdout) as { sender_id: string; api_key: string };
  let ports = await startServer();
  const ca = readFileSync(join(dataDir, 'tls', 'ca.pem'), 'utf8');
  const url = `http://127.0.0.1:${ports.http}`;
  const registration = await CcsDevice.register(url, { sender: sender_id, app: 'com.example.crash' });

  const app = new CcsAppServer({ host: '127.0.0.1', port: ports.ccs!, ca, senderId: sender_id, apiKey: api_key, window: 100 });
  app.on('error', () => {});
  await app.connect();
  const acked = new Set<string>();
  const total = 5000;
  for (let i = 0; i < total; i++) {
    app.send({ to: registration.registration_id, message_id: `crash-${i}`, data: { n: String(i) } }).then(
      () => acked.add(String(i)),
      () => {},
    );
  }
  while (acked.size < 500) await settle(5);
  child!.kill('SIGKILL');
  await new Promise((resolve) => child!.once('exit', resolve));
  const ackedBeforeKill = new Set(acked);
  app.close();
  assert.ok(ackedBeforeKill.size < total, 'the kill happened mid-stream');

  ports = await startServer();
  const received = new Map<string, number>();
  const device = new CcsDevice({ host: '127.0.0.1', port: ports.xmpps!, ca, jid: registration.jid, password: registration.password! });
  device.on('message', (m: DownstreamMessage) => {
    const n = String(m.data?.n);
    received.set(n, (received.get(n) ?? 0) + 1);
  });
  await device.connect();
  const deadline = Date.now() + 20_000;
  while ([...ackedBeforeKill].some((n) => !received.has(n)) && Date.now() < deadline) await settle(100);
  const lost = [...ackedBeforeKill].filter((n) => !received.has(n));
  assert.deepEqual(lost, [], `${lost.length} of ${ackedBeforeKill.size} ACKed messages lost`);
  assert.ok([...received.values()].every((count) => count === 1), 'no message delivered twice');
  device.close();

  // `ocp ccs drain` reaches the restarted server and drains a connected app server.
  const drained = new CcsAppServer({ host: '127.0.0.1', port: ports.ccs!, ca, senderId: sender_id, apiKey: api_key });
  let draining = false;
  drained.on('draining', () => (draining = true));
  await drained.connect();
  const { stdout: drainOut } = await run(ocp, ['ccs', 'drain', '--data', dataDir, '--host', '127.0.0.1']);
  assert.match(drainOut, /draining 1 app-server connection/);
  for (let i = 0; i < 50 && !draining; i++) await settle(50);
  assert.equal(draining, true);
  drained.close();
});
