// The connector when CUPS does not answer: an error in the log, retried
// with backoff, and never an empty queue list (which would delete every
// cloud printer of the connector).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { rmSync } from 'node:fs';
import { startTestServer, tempDir } from '../helpers/server.ts';
import { createUser } from '../helpers/cloud.ts';
import { freePort } from '../helpers/ports.ts';
import { waitFor } from '../helpers/wait.ts';
import { capturingLogger } from '../helpers/log.ts';
import { CloudPrintApi } from '../../src/client/cloudprint-api.ts';
import { CupsClient } from '../../src/cups/client.ts';
import { Connector, createIdentity, saveIdentity } from '../../src/connector/connector.ts';

test('a CUPS that does not answer is an error, not an empty list of queues', async () => {
  const port = await freePort();
  await assert.rejects(new CupsClient(`127.0.0.1:${port}`).queues(), new RegExp(`CUPS at 127\\.0\\.0\\.1:${port} is not reachable \\(lpstat: scheduler is not running\\)`));
});

test('the connector logs an error while CUPS does not answer and tries again with backoff', async () => {
  const server = await startTestServer();
  const dataDir = tempDir();
  const { log, lines } = capturingLogger();
  let connector: Connector | undefined;
  try {
    const user = await createUser(server);
    saveIdentity(dataDir, await createIdentity(new CloudPrintApi({ cloudUrl: server.url, accessToken: async () => user.token }), server.url));
    const cups = `127.0.0.1:${await freePort()}`;
    connector = new Connector({ dataDir, cups, xmppUrl: `xmpps://127.0.0.1:${server.ports.xmpps}`, caFile: server.context.tls.caPath, log, syncIntervalMs: 3_600_000 });
    const started = Date.now();
    await connector.start();
    const failures = () => lines.filter((line) => line.msg === 'cannot read the CUPS queues: the cloud printers stay as they are; retrying');
    await waitFor('three attempts', () => failures().length >= 3, 15_000);
    // 1 s, then 2 s: the third attempt comes about 3 s after the first, long before the hour's sync.
    assert.ok(Date.now() - started < 10_000);
    assert.equal(failures()[0]!.level, 50, 'logged as an error');
    assert.equal(failures()[0]!.cups, cups);
    assert.match(String(failures()[0]!.err), /is not reachable/);
    // `ocp connector status` says so too, and exits 1.
    const shown = spawnSync(resolve(import.meta.dirname, '../../bin/ocp'), ['connector', 'status', '--data', dataDir], { encoding: 'utf8' });
    assert.equal(shown.status, 1);
    assert.match(shown.stdout, /^state {5}cups-unreachable \(.*is not reachable/m);
    assert.match(shown.stdout, new RegExp(`^cups {6}${cups.replaceAll('.', '\\.')}$`, 'm'));
  } finally {
    await connector?.stop();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
