// --ipp-advertise over real mDNS: `ocp server` in one network namespace
// created here, CUPS's ippfind (through avahi-daemon) in a second one joined
// by a veth pair. The tagged printer is found under _ipp._tcp and _ipps._tcp
// with the _print and _universal subtypes and the IPP Everywhere / AirPrint
// TXT keys; the untagged one is not; removing the tag withdraws it.
// Namespace and link names start with `ocpipp` and carry this process's id.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startTestServer, tempDir } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, registerPrinter, SAMPLE_CDD, type ClaimedPrinter } from '../helpers/cloud.ts';
import { waitFor } from '../helpers/wait.ts';
import { deleteNamespaces, linkNamespaces } from '../helpers/netns.ts';

const OCP = resolve(import.meta.dirname, '../../bin/ocp');
const run = promisify(execFile);
const tag = `${process.pid % 10000}`;
const NS_A = `ocpipp-a-${tag}`;
const NS_B = `ocpipp-b-${tag}`;
const VETH_A = `ocpipa${tag}`;
const VETH_B = `ocpipb${tag}`;
const subnet = `10.${150 + (process.pid % 50)}.${process.pid % 250}`;
const ADDR_A = `${subnet}.1`;
const ADDR_B = `${subnet}.2`;

const canRun = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('ip', ['netns', 'list']);
    execFileSync('which', ['ippfind', 'avahi-daemon', 'dbus-daemon']);
    return true;
  } catch {
    return false;
  }
})();

const work = tempDir('ocp-ipp-mdns-');
const children: ChildProcess[] = [];
let dbusEnv: NodeJS.ProcessEnv = process.env;
let serverUrl = '';
let ports: Record<string, number> = {};
let ownerToken = '';
let advertisedId = '';
let hiddenId = '';
let withDevice: ClaimedPrinter;
let dataDir = '';

function spawnLogged(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, sink?: (text: string) => void): ChildProcess {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => sink?.(String(d)));
  child.stderr!.on('data', (d) => sink?.(String(d)));
  children.push(child);
  return child;
}

/** What ippfind in namespace B finds for `regtype` within a few seconds: one line per service, its name and the TXT keys asked for. */
async function ippfind(regtype: string): Promise<string[]> {
  const keys = ['rp', 'ty', 'pdl', 'URF', 'air', 'Color', 'Duplex', 'UUID', 'TLS', 'kind', 'adminurl', 'txtvers'];
  const { stdout } = await run('ip', ['netns', 'exec', NS_B, 'ippfind', '-T', '3', regtype, '--exec', 'echo', '{service_name}|{service_port}', ...keys.map((k) => `${k}={txt_${k}}`), ';'], { env: dbusEnv, timeout: 30_000 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return stdout.split('\n').filter(Boolean).sort();
}

/** An HTTP call to the server in namespace A, made from namespace B (the LAN side). */
async function cloudFromB(path: string, form: Record<string, string>): Promise<Record<string, any>> {
  const args = ['netns', 'exec', NS_B, 'curl', '-s', '-H', `Authorization: Bearer ${ownerToken}`];
  for (const [k, v] of Object.entries(form)) args.push('--data-urlencode', `${k}=${v}`);
  const { stdout } = await run('ip', [...args, `${serverUrl}/cloudprint/${path}`]);
  return JSON.parse(stdout) as Record<string, any>;
}

before(async () => {
  if (!canRun) return;
  // The data: an owner with two printers of their own, one tagged ipp-advertise.
  dataDir = join(work, 'server');
  const prep = await startTestServer({ dataDir });
  const owner = await createUser(prep, 'mdns-owner@example.com');
  ownerToken = owner.token;
  const capabilities = { ...SAMPLE_CDD, printer: { ...SAMPLE_CDD.printer, supported_content_type: [...SAMPLE_CDD.printer.supported_content_type, { content_type: 'image/urf' }] } };
  advertisedId = (await registerPrinter(prep, { name: 'Lobby', token: owner.token, capabilities, extra: { tag: 'ipp-advertise' } })).body.printers[0].id;
  hiddenId = (await registerPrinter(prep, { name: 'Back Office', token: owner.token })).body.printers[0].id;
  // A printer with a device (its robot), announced only while the device is connected.
  withDevice = await registerAndClaim(prep, owner, { name: 'Front Desk', extra: { tag: 'ipp-advertise' } });
  await prep.stop({ keepData: true });
  // The server in namespace A makes its certificate for its own address.
  rmSync(join(dataDir, 'tls'), { recursive: true, force: true });

  linkNamespaces({ ns: NS_A, veth: VETH_A, address: ADDR_A }, { ns: NS_B, veth: VETH_B, address: ADDR_B });
  // ippfind asks avahi-daemon over D-Bus: a private system bus and daemon in namespace B.
  const bus = join(work, 'bus');
  spawnLogged('dbus-daemon', ['--config-file=/usr/share/dbus-1/system.conf', `--address=unix:path=${bus}`, '--nofork', '--nopidfile']);
  await waitFor('dbus socket', () => { try { readFileSync(bus); return undefined; } catch (e) { return ['ENXIO', 'EOPNOTSUPP'].includes((e as NodeJS.ErrnoException).code ?? '') || undefined; } });
  dbusEnv = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: `unix:path=${bus}` };
  writeFileSync(join(work, 'avahi.conf'), `[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=${VETH_B}\nenable-dbus=yes\n[publish]\ndisable-publishing=yes\n`);
  spawnLogged('ip', ['netns', 'exec', NS_B, 'avahi-daemon', '-f', join(work, 'avahi.conf'), '--no-drop-root', '--no-chroot', '--no-rlimits'], dbusEnv);

  let serverLog = '';
  spawnLogged('ip', ['netns', 'exec', NS_A, process.execPath, OCP, 'server', '--data', dataDir, '--host', ADDR_A, '--http-port', '0', '--ipps-port', '0', '--xmpps-port', '0', '--xmpp-port', '-1', '--ccs-port', '-1',
    '--ipp-advertise', '--ipp-advertise-interface', VETH_A, '--ipp-advertise-interval', '1', '--log-level', 'info'], process.env, (t) => (serverLog += t));
  ports = await waitFor('server ports', () => {
    try {
      const found = JSON.parse(readFileSync(join(dataDir, 'ports.json'), 'utf8')) as Record<string, number>;
      return serverLog.includes('ipp printer advertised') ? found : undefined;
    } catch {
      return undefined;
    }
  }, 60_000).catch((error: Error) => {
    throw new Error(`${error.message}\n${serverLog}`);
  });
  serverUrl = `http://${ADDR_A}:${ports.http}`;
});

after(async () => {
  if (!canRun) return;
  for (const child of children.reverse()) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((r) => child.once('exit', r)))));
  deleteNamespaces(NS_A, NS_B);
  rmSync(work, { recursive: true, force: true });
});

test('ippfind finds the tagged printer under _ipp._tcp,_print and _ipps._tcp,_universal with the IPP Everywhere and AirPrint TXT keys', { skip: !canRun && 'needs root, ip netns, ippfind and avahi-daemon' }, async () => {
  const everywhere = await waitFor('_ipp._tcp,_print', async () => {
    const found = await ippfind('_ipp._tcp,_print');
    return found.length ? found : undefined;
  }, 60_000);
  assert.equal(everywhere.length, 1, everywhere.join('\n'));
  const [line] = everywhere;
  assert.ok(line!.startsWith(`Lobby|${ports.http} `), line);
  for (const expected of [`rp=ipp/print/${advertisedId}`, 'ty=OpenCloudPrint Test 1', 'txtvers=1', 'Color=T', 'Duplex=T', 'air=username,password', 'kind=document', 'TLS=1.2', 'URF=V1.4,CP1,RS300,W8,SRGB24,DM1', `adminurl=${serverUrl}/console/#printer=${advertisedId}`]) {
    assert.ok(line!.includes(expected), `${expected} missing in ${line}`);
  }
  assert.match(line!, /pdl=application\/pdf,[^ ]*image\/pwg-raster/);
  assert.match(line!, /UUID=[0-9a-f-]{36}/);
  const airprint = await ippfind('_ipps._tcp,_universal');
  assert.equal(airprint.length, 1, airprint.join('\n'));
  assert.ok(airprint[0]!.startsWith(`Lobby|${ports.ipps} `), airprint[0]);
  assert.ok(!everywhere.some((l) => l.includes(hiddenId)), 'the untagged printer is not announced');
});

test('a printer whose device is off the push channel is not announced; it is while the device is connected, and withdrawn when it goes', { skip: !canRun && 'needs root, ip netns, ippfind and avahi-daemon' }, async () => {
  const frontDesk = async () => (await ippfind('_ipp._tcp,_print')).some((l) => l.startsWith('Front Desk|'));
  assert.equal(await frontDesk(), false);
  let state = '';
  const device = spawnLogged('ip', ['netns', 'exec', NS_A, process.execPath, '--import', 'tsx', resolve(import.meta.dirname, 'robot-session.ts'), `xmpps://${ADDR_A}:${ports.xmpps}`, withDevice.xmppJid, withDevice.accessToken, join(dataDir, 'tls', 'ca.pem')], process.env, (t) => (state += t));
  await waitFor('device online', () => state.includes('online') || undefined, 30_000).catch((error: Error) => {
    throw new Error(`${error.message}: ${state}`);
  });
  await waitFor('Front Desk announced', async () => (await frontDesk()) || undefined, 60_000);
  device.kill('SIGTERM');
  await waitFor('Front Desk withdrawn', async () => !(await frontDesk()) || undefined, 60_000);
});

test('removing the ipp-advertise tag withdraws the printer; a renamed one is announced under its new name', { skip: !canRun && 'needs root, ip netns, ippfind and avahi-daemon' }, async () => {
  const renamed = await cloudFromB('update', { printerid: hiddenId, tag: 'ipp-advertise', default_display_name: 'Back Office 2' });
  assert.equal(renamed.success, true, JSON.stringify(renamed));
  await waitFor('the second printer', async () => ((await ippfind('_ipp._tcp,_print')).some((l) => l.startsWith('Back Office 2|')) || undefined), 60_000);
  const removed = await cloudFromB('update', { printerid: advertisedId, remove_tag: 'ipp-advertise' });
  assert.equal(removed.success, true, JSON.stringify(removed));
  await waitFor('Lobby withdrawn', async () => (!(await ippfind('_ipp._tcp,_print')).some((l) => l.startsWith('Lobby|')) || undefined), 60_000);
});
