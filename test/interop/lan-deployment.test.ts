// A server on a LAN address, as a new user sets it up: `ocp server --host
// 0.0.0.0 --public-url http://ADDR:8080` in one network namespace, a Privet
// printer in another (joined by a veth pair) given only --cloud and --ca.
// The printer is claimed and prints a job pushed over XMPP: the server's
// generated certificate must name ADDR. Then the server moves to a second
// address: the certificate is issued again from the same CA, and the printer,
// pointed at the new address with the same --ca and registration, prints again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makePdf, startPrinter, waitFor, type TestPrinter } from '../privet/helpers.ts';
import { certificateNames } from '../../src/tls/material.ts';
import { deleteNamespaces, ip, linkNamespaces } from '../helpers/netns.ts';

const OCP = resolve(import.meta.dirname, '../../bin/ocp');
const tag = `${process.pid % 10000}`;
const NS_SERVER = `ocp-ls-${tag}`;
const NS_PRINTER = `ocp-lp-${tag}`;
const VETH_SERVER = `ocls${tag}`;
const VETH_PRINTER = `oclp${tag}`;
const subnet = `10.${150 + (process.pid % 50)}.${process.pid % 250}`;
const ADDR_SERVER = `${subnet}.1`;
const ADDR_MOVED = `${subnet}.3`;
const ADDR_PRINTER = `${subnet}.2`;
const EMAIL = 'lan-owner@example.com';

const canRun =
  process.getuid?.() === 0 &&
  (() => {
    try {
      execFileSync('ip', ['netns', 'list']);
      return true;
    } catch {
      return false;
    }
  })();

const work = mkdtempSync(join(tmpdir(), 'ocp-lan-'));
const serverData = join(work, 'server');
let server: ChildProcess | undefined;
let serverLog = '';
let printer: TestPrinter | undefined;

function ocp(args: string[], input = ''): string {
  return execFileSync(OCP, [...args, '--data', serverData], { input, encoding: 'utf8', env: { ...process.env, OCP_LOG_LEVEL: 'silent' } });
}

/** curl from the printer's namespace, the LAN side; returns the parsed JSON. */
function curl(args: string[]): Record<string, any> {
  return JSON.parse(execFileSync('ip', ['netns', 'exec', NS_PRINTER, 'curl', '-s', '--max-time', '30', ...args], { encoding: 'utf8' })) as Record<string, any>;
}

async function startServer(publicHost: string): Promise<void> {
  rmSync(join(serverData, 'ports.json'), { force: true });
  serverLog = '';
  const child = spawn('ip', ['netns', 'exec', NS_SERVER, process.execPath, OCP, 'server', '--data', serverData, '--host', '0.0.0.0', '--public-url', `http://${publicHost}:8080`, '--http-port', '8080', '--xmpps-port', '5223', '--xmpp-port', '-1', '--ccs-port', '-1', '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (serverLog += chunk));
  child.stderr!.on('data', (chunk) => (serverLog += chunk));
  server = child;
  await waitFor('the server on the LAN address', () => {
    if (child.exitCode !== null) throw new Error(`server exited:\n${serverLog}`);
    return serverLog.includes('ocp server started');
  }, 30_000);
}

async function stopServer(): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = once(server, 'exit');
  server.kill('SIGTERM');
  await exited;
}

before(async () => {
  if (!canRun) return;
  linkNamespaces({ ns: NS_SERVER, veth: VETH_SERVER, address: ADDR_SERVER }, { ns: NS_PRINTER, veth: VETH_PRINTER, address: ADDR_PRINTER });
});

after(async () => {
  if (!canRun) return;
  await printer?.stop();
  await stopServer();
  deleteNamespaces(NS_SERVER, NS_PRINTER);
  rmSync(work, { recursive: true, force: true });
});

/** Submits a PDF from the LAN side and waits until the printer has printed it. */
async function printOverXmpp(cloudUrl: string, token: string, printerId: string, title: string): Promise<void> {
  const document = join(work, `${title}.pdf`);
  writeFileSync(document, makePdf(1, title));
  const submitted = curl(['-H', `Authorization: Bearer ${token}`, '-F', `printerid=${printerId}`, '-F', `title=${title}`, '-F', 'contentType=application/pdf', '-F', `content=@${document};type=application/pdf`, `${cloudUrl}/cloudprint/submit`]);
  assert.equal(submitted.success, true, JSON.stringify(submitted));
  const jobId = String(submitted.job.id);
  await waitFor(`"${title}" printed`, () => {
    const sidecar = readdirSync(printer!.outputDir).find((f) => f.endsWith('.json') && JSON.parse(readFileSync(join(printer!.outputDir, f), 'utf8')).server_job_id === jobId);
    return sidecar !== undefined;
  }, 30_000);
}

test('a printer on the LAN is claimed and prints over XMPP with only --ca; moving the server re-issues its certificate from the same CA', { skip: !canRun && 'needs root and ip netns', timeout: 180_000 }, async () => {
  ocp(['user', 'add', EMAIL, '--password-stdin', '--init'], 'a lan password 1\n');
  const token = ocp(['token', 'create', EMAIL]).trim();
  await startServer(ADDR_SERVER);
  const ca = join(serverData, 'tls', 'ca.pem');
  const caText = readFileSync(ca, 'utf8');
  assert.ok(certificateNames(readFileSync(join(serverData, 'tls', 'server.pem'), 'utf8')).includes(ADDR_SERVER));

  let cloudUrl = `http://${ADDR_SERVER}:8080`;
  printer = await startPrinter({ name: 'LAN Printer', cloud: cloudUrl, netns: NS_PRINTER, args: ['--no-mdns', '--auto-confirm', '--ca', ca] });
  // Privet registration, driven from the printer's namespace (its local API is on its loopback).
  const privet = (path: string) => curl(['-X', 'POST', '-H', 'X-Privet-Token: ' + String(curl(['-H', 'X-Privet-Token;', `${printer!.privet}/privet/info`])['x-privet-token']), `${printer!.privet}${path}`]);
  privet(`/privet/register?action=start&user=${encodeURIComponent(EMAIL)}`);
  const claim = await waitFor('claim token', () => {
    const reply = privet(`/privet/register?action=getClaimToken&user=${encodeURIComponent(EMAIL)}`);
    return reply.error === 'pending_user_action' ? undefined : reply;
  });
  assert.equal(curl(['-H', `Authorization: Bearer ${token}`, '--data-urlencode', `token=${claim.token}`, `${cloudUrl}/cloudprint/confirm`]).success, true);
  const printerId = String(privet(`/privet/register?action=complete&user=${encodeURIComponent(EMAIL)}`).device_id);
  await waitFor('the printer online over XMPP', () => printer!.log().includes('XMPP channel online'), 30_000);
  await printOverXmpp(cloudUrl, token, printerId, 'first');

  // The server moves to another address; the printer keeps its --ca and reconnects on its own.
  await stopServer();
  ip('-n', NS_SERVER, 'addr', 'del', `${ADDR_SERVER}/24`, 'dev', VETH_SERVER);
  ip('-n', NS_SERVER, 'addr', 'add', `${ADDR_MOVED}/24`, 'dev', VETH_SERVER);
  await startServer(ADDR_MOVED);
  assert.match(serverLog, /issued a new TLS certificate/);
  assert.equal(readFileSync(ca, 'utf8'), caText, 'the same CA');
  assert.ok(certificateNames(readFileSync(join(serverData, 'tls', 'server.pem'), 'utf8')).includes(ADDR_MOVED));
  cloudUrl = `http://${ADDR_MOVED}:8080`;
  // A printer keeps the cloud URL it was started with: start it again with the new one (its registration stays).
  await printer.stop();
  printer = await startPrinter({ name: 'LAN Printer', cloud: cloudUrl, dataDir: printer.dataDir, netns: NS_PRINTER, args: ['--no-mdns', '--ca', ca] });
  await waitFor('the printer online again', () => printer!.log().includes('XMPP channel online'), 30_000);
  await printOverXmpp(cloudUrl, token, printerId, 'second');
});
