// Privet §2–3 over real mDNS: a printer and an `ocp server` in one network
// namespace, browsed from a second namespace (joined by a veth pair) with two
// independent implementations, avahi (avahi-daemon + avahi-browse) and
// python3-zeroconf. Checks the PTR and subtype PTR, SRV, A, the TXT record in
// wire order and equal to /privet/info, the update announcement after
// registration, and the goodbye on shutdown.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startPrinter, waitFor, type TestPrinter } from '../privet/helpers.ts';
import { deleteNamespaces, linkNamespaces } from '../helpers/netns.ts';

const OCP = resolve(import.meta.dirname, '../../bin/ocp');
const BROWSE = resolve(import.meta.dirname, 'privet_zeroconf_browse.py');
const tag = `${process.pid % 10000}`;
const NS_A = `ocp-pa-${tag}`;
const NS_B = `ocp-pb-${tag}`;
const VETH_A = `ocpa${tag}`;
const VETH_B = `ocpb${tag}`;
const subnet = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;
const ADDR_A = `${subnet}.1`;
const ADDR_B = `${subnet}.2`;
const EMAIL = 'mdns-owner@example.com';
const PASSWORD = 'mdns password 1';

const canRun = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('ip', ['netns', 'list']);
    return true;
  } catch {
    return false;
  }
})();

const work = mkdtempSync(join(tmpdir(), 'ocp-mdns-'));
const children: ChildProcess[] = [];
let printer: TestPrinter;
let zeroconfOut = '';
let avahiOut = '';
let serverUrl = '';

function spawnLogged(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, sink?: (text: string) => void): ChildProcess {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => sink?.(String(d)));
  child.stderr!.on('data', () => {});
  children.push(child);
  return child;
}

/** HTTP from namespace B (the "LAN client" side), with curl. */
function curlB(url: string, options: { method?: string; headers?: Record<string, string>; form?: Record<string, string> } = {}): Record<string, any> {
  const args = ['netns', 'exec', NS_B, 'curl', '-s', '-X', options.method ?? 'GET'];
  for (const [k, v] of Object.entries(options.headers ?? {})) args.push('-H', v === '' ? `${k};` : `${k}: ${v}`);
  for (const [k, v] of Object.entries(options.form ?? {})) args.push('--data-urlencode', `${k}=${v}`);
  args.push(url);
  return JSON.parse(execFileSync('ip', args, { encoding: 'utf8' }));
}

function zeroconfEvents(): Array<Record<string, any>> {
  return zeroconfOut.split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

before(async () => {
  if (!canRun) return;
  linkNamespaces({ ns: NS_A, veth: VETH_A, address: ADDR_A }, { ns: NS_B, veth: VETH_B, address: ADDR_B });
  // avahi-browse talks to avahi-daemon over D-Bus: a private system bus for this test.
  const bus = join(work, 'bus');
  spawnLogged('dbus-daemon', ['--config-file=/usr/share/dbus-1/system.conf', `--address=unix:path=${bus}`, '--nofork', '--nopidfile']);
  await waitFor('dbus socket', () => { try { readFileSync(bus); return undefined; } catch (e) { return (e as NodeJS.ErrnoException).code === 'ENXIO' || (e as NodeJS.ErrnoException).code === 'EOPNOTSUPP' ? true : undefined; } });
  const dbusEnv = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${bus}` };
  writeFileSync(join(work, 'avahi.conf'), `[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=${VETH_B}\nenable-dbus=yes\n[publish]\ndisable-publishing=yes\n`);
  spawnLogged('ip', ['netns', 'exec', NS_B, 'avahi-daemon', '-f', join(work, 'avahi.conf'), '--no-drop-root', '--no-chroot', '--no-rlimits'], dbusEnv);
  spawnLogged('ip', ['netns', 'exec', NS_B, '/usr/bin/python3', BROWSE, ADDR_B, '120'], process.env, (t) => (zeroconfOut += t));
  // avahi-browse exits at once if the daemon is not on the bus yet (a fixed
  // pause was too short on a loaded machine): wait until a one-shot browse works.
  await waitFor('avahi-daemon on the bus', () => (spawnSync('avahi-browse', ['-p', '-t', '_privet._tcp'], { env: dbusEnv, timeout: 5000 }).status === 0 ? true : undefined), 30_000);
  spawnLogged('avahi-browse', ['-p', '-r', '_printer._sub._privet._tcp'], dbusEnv, (t) => (avahiOut += t));

  // The cloud, in namespace A, bound to the namespace's address.
  const serverData = join(work, 'server');
  execFileSync(OCP, ['user', 'add', EMAIL, '--password-stdin', '--init', '--data', serverData], { input: PASSWORD + '\n' });
  let serverLog = '';
  spawnLogged('ip', ['netns', 'exec', NS_A, process.execPath, OCP, 'server', '--data', serverData, '--host', ADDR_A, '--http-port', '0', '--xmpps-port', '0', '--xmpp-port', '-1', '--ccs-port', '-1', '--log-level', 'info'], process.env, (t) => (serverLog += t));
  const ports = await waitFor('server ports', () => {
    try {
      const p = JSON.parse(readFileSync(join(serverData, 'ports.json'), 'utf8'));
      return serverLog.includes('started') ? p : undefined;
    } catch {
      return undefined;
    }
  }, 30_000);
  serverUrl = `http://${ADDR_A}:${ports.http}`;
  printer = await startPrinter({
    name: 'Lobby Printer',
    cloud: serverUrl,
    netns: NS_A,
    args: ['--note', '1st floor lobby', '--interface', VETH_A, '--auto-confirm', '--xmpp', `xmpps://${ADDR_A}:${ports.xmpps}`, '--ca', join(serverData, 'tls', 'ca.pem')],
  });
});

after(async () => {
  if (!canRun) return;
  await printer?.stop();
  printer?.cleanup();
  for (const child of children.reverse()) {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
  await new Promise((r) => setTimeout(r, 500));
  deleteNamespaces(NS_A, NS_B);
  rmSync(work, { recursive: true, force: true });
});

test('§2–3 the printer is discoverable by avahi and python3-zeroconf, TXT follows registration, goodbye on shutdown', { skip: !canRun && 'needs root and ip netns' }, async () => {
  const privet = `http://${ADDR_A}:${JSON.parse(readFileSync(join(printer.dataDir, 'ports.json'), 'utf8')).privet}`;
  // PTR (both types), SRV, A, TXT seen by zeroconf; TXT in wire order, txtvers first (§2.2.1).
  const added = await waitFor('zeroconf Added on both types', () => {
    const events = zeroconfEvents().filter((e) => e.change === 'Added' && e.txt);
    return events.some((e) => e.type === '_privet._tcp.local.') && events.some((e) => e.type === '_printer._sub._privet._tcp.local.') ? events : undefined;
  }, 20_000);
  const first = added[0]!;
  assert.equal(first.name, 'Lobby Printer._privet._tcp.local.');
  assert.deepEqual(first.addresses, [ADDR_A]);
  assert.equal(first.port, Number(new URL(privet).port));
  assert.deepEqual(first.txt, ['txtvers=1', 'ty=Lobby Printer', 'note=1st floor lobby', `url=${serverUrl}/cloudprint`, 'type=printer', 'id=', 'cs=online']);
  // The same from avahi: a resolved subtype browse ("=" line) with SRV target, address, port and TXT.
  const avahiLine = await waitFor('avahi resolve', () => avahiOut.split('\n').find((l) => l.startsWith('=') && l.includes('Lobby')), 20_000);
  const fields = avahiLine.split(';');
  assert.equal(fields[3], 'Lobby\\032Printer');
  assert.equal(fields[7], ADDR_A);
  assert.equal(fields[8], String(first.port));
  for (const entry of first.txt) assert.ok(fields[9]!.includes(`"${entry}"`), entry);

  // §2.2: TXT values equal /privet/info, asked from the LAN side.
  const info = curlB(`${privet}/privet/info`, { headers: { 'X-Privet-Token': '' } });
  assert.equal(info.name, 'Lobby Printer');
  assert.equal(info.description, '1st floor lobby');
  assert.equal(info.url, `${serverUrl}/cloudprint`);
  assert.equal(info.id, '');
  assert.equal(info.connection_state, 'online');

  // Register from the LAN (--auto-confirm stands in for the OK button) and claim in the cloud.
  const token = String(info['x-privet-token']);
  const reg = (action: string) => curlB(`${privet}/privet/register?action=${action}&user=${encodeURIComponent(EMAIL)}`, { method: 'POST', headers: { 'X-Privet-Token': token } });
  reg('start');
  const claim = await waitFor('claim token', () => {
    const r = reg('getClaimToken');
    return r.error === 'pending_user_action' ? undefined : r;
  });
  assert.ok(claim.token, JSON.stringify(claim));
  const grant = curlB(`${serverUrl}/oauth2/token`, { method: 'POST', form: { grant_type: 'password', username: EMAIL, password: PASSWORD } });
  const confirmed = curlB(`${serverUrl}/cloudprint/confirm`, { method: 'POST', headers: { Authorization: `Bearer ${grant.access_token}` }, form: { token: String(claim.token) } });
  assert.equal(confirmed.success, true, JSON.stringify(confirmed));
  const deviceId = String(reg('complete').device_id);
  assert.ok(deviceId);
  // §3.3: the update announcement carries the new id; zeroconf sees the TXT change.
  const updated = await waitFor('TXT update with the id', () => zeroconfEvents().find((e) => e.change === 'Updated' && e.txt?.includes(`id=${deviceId}`)), 20_000);
  assert.equal(updated.txt[0], 'txtvers=1');
  const online = await waitFor('cs=online with the id', () => {
    const i = curlB(`${privet}/privet/info`, { headers: { 'X-Privet-Token': '' } });
    return i.id === deviceId && i.connection_state === 'online' ? i : undefined;
  });
  assert.equal(online.id, deviceId);

  // §3.2: goodbye packets on shutdown: both browsers see the service go.
  await printer.stop('SIGTERM');
  await waitFor('zeroconf Removed', () => zeroconfEvents().find((e) => e.change === 'Removed'), 10_000);
  await waitFor('avahi removal', () => avahiOut.split('\n').find((l) => l.startsWith('-') && l.includes('Lobby')), 10_000);
});
