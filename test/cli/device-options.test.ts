// `ocp printer` and `ocp connector` run as the real binary (bin/ocp) take
// their options from environment variables (OCP_PRINTER_*, OCP_CONNECTOR_*)
// and config-file keys, and stop through the one signal path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { seedRegistration, startPrinter } from '../privet/helpers.ts';
import { startTestServer, tempDir } from '../helpers/server.ts';
import { createUser } from '../helpers/cloud.ts';
import { startCups } from '../helpers/cups.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';

const OCP = resolve(import.meta.dirname, '../../bin/ocp');
const run = promisify(execFile);

test('ocp printer: an OCP_PRINTER_* variable and a config-file key reach the printer; SIGTERM stops it with status 0', async () => {
  const dir = tempDir();
  const panelPort = await freePort();
  const config = join(dir, 'printer.json');
  writeFileSync(config, JSON.stringify({ note: 'from the file', 'panel-port': panelPort }));
  const printer = await startPrinter({ env: { OCP_PRINTER_CONFIG: config, OCP_PRINTER_NOTE: 'from the environment' }, args: ['--no-mdns'] });
  try {
    assert.equal((await printer.info()).description, 'from the environment', 'the environment beats the file');
    assert.equal(printer.panel, `http://127.0.0.1:${panelPort}`, 'the file beats the default');
    printer.child.kill('SIGTERM');
    const [code] = (await once(printer.child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.match(printer.log(), /"msg":"shutting down"/);
  } finally {
    await printer.stop();
    printer.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ocp printer: a bad OCP_PRINTER_* value or config key stops it at once with status 2, naming the option', async () => {
  const dir = tempDir();
  try {
    const env = { ...process.env, OCP_PRINTER_PORT: 'eighty' };
    await assert.rejects(run(OCP, ['printer', '--name', 'P', '--cloud', 'http://127.0.0.1:9', '--data', dir, '--no-mdns'], { env, timeout: 20_000 }), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /^ocp: port: expected a whole number/m);
      return true;
    });
    writeFileSync(join(dir, 'printer.json'), JSON.stringify({ 'http-port': 1 }));
    await assert.rejects(run(OCP, ['printer', 'reset', '--config', join(dir, 'printer.json')], { cwd: dir, timeout: 20_000 }), /unknown keys http-port/);
    assert.equal(existsSync(join(dir, 'state.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ocp printer reset clears the state in the --data or OCP_PRINTER_DATA directory, not in ./printer-data', async () => {
  const cwd = tempDir();
  const registered = () => {
    const dir = tempDir();
    seedRegistration(dir);
    return dir;
  };
  const isReset = (dir: string) => (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { registration: unknown }).registration === null;
  try {
    const byFlag = registered();
    await run(OCP, ['printer', 'reset', '--data', byFlag], { cwd, timeout: 20_000 });
    assert.ok(isReset(byFlag));
    const byEnv = registered();
    await run(OCP, ['printer', 'reset'], { cwd, env: { ...process.env, OCP_PRINTER_DATA: byEnv }, timeout: 20_000 });
    assert.ok(isReset(byEnv));
    assert.equal(existsSync(join(cwd, 'printer-data')), false, 'nothing made in the working directory');
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('ocp connector: init and run find their data through OCP_CONNECTOR_DATA, run its CUPS and XMPP through config keys', async () => {
  const server = await startTestServer();
  const cups = await startCups();
  const dir = tempDir();
  try {
    await cups.addQueue('office');
    const user = await createUser(server);
    const dataDir = join(dir, 'connector');
    const env = { ...process.env, OCP_CONNECTOR_DATA: dataDir };
    await run(OCP, ['connector', 'init', '--cloud', server.url, '--token', user.token], { env, timeout: 30_000 });
    assert.ok(existsSync(join(dataDir, 'connector.json')), 'init saved the identity where OCP_CONNECTOR_DATA says');
    const config = join(dir, 'connector.json');
    writeFileSync(config, JSON.stringify({ cups: cups.server, xmpp: `xmpps://127.0.0.1:${server.ports.xmpps}`, ca: server.context.tls.caPath }));
    const child = spawn(OCP, ['connector', 'run', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = once(child, 'exit') as Promise<[number | null]>;
    try {
      await waitFor('the push channel online', () => output.includes('"state":"online"') || (child.exitCode !== null && assert.fail(output)), 30_000);
      const started = JSON.parse(output.split('\n').find((line) => line.includes('connector started'))!) as { printers: Record<string, string> };
      assert.deepEqual(Object.keys(started.printers), ['office'], 'the CUPS server of the config file');
      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0);
      assert.match(output, /"msg":"shutting down"/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  } finally {
    await cups.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
