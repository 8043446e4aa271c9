// The log of a real server: one line per request naming the client address,
// the account and the printer; one line per sign-in, registration, claim,
// job state change and XMPP session start and end; no key twice in a line;
// no secret anywhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { Writable } from 'node:stream';
import { defaultServerConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startServer } from '../../src/server/index.ts';
import { Senders } from '../../src/ccs/service/senders.ts';
import { CcsDevice } from '../../src/ccs/sdk/device.ts';
import { duplicateKeys } from '../helpers/log.ts';
import { tempDir, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, submitJob } from '../helpers/cloud.ts';
import { waitFor } from '../helpers/wait.ts';
import { DevicePageVisitor } from '../helpers/device-page.ts';

type Line = Record<string, unknown>;

test('request lines name address, account and printer; events have one line each; no duplicate keys or secrets', async () => {
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const dataDir = tempDir();
  const running = await startServer(
    defaultServerConfig({ dataDir, host: '127.0.0.1', httpPort: 0, xmppPort: 0, xmppsPort: 0, ccsPort: 0, nodeId: 'log-node' }),
    createLogger('info', 'ocp', { destination }),
  );
  const server = { ...running, dataDir, url: running.context.publicUrl } as unknown as TestServer;
  const lines = (): Line[] => raw.map((text) => JSON.parse(text) as Line);
  const find = (msg: string, where: (line: Line) => boolean = () => true) => lines().find((line) => line.msg === msg && where(line));
  try {
    const user = await createUser(server, 'logs@example.com', 'a very secret password');
    const signIn = find('signed in');
    assert.equal(signIn?.grant, 'password');
    assert.equal(signIn?.account, user.id);
    assert.equal(signIn?.ip, '127.0.0.1');

    const deviceFlow = (await (await fetch(`${server.url}/oauth2/device/code`, { method: 'POST', body: new URLSearchParams({ client_id: 'log-test' }) })).json()) as { device_code: string; user_code: string };
    const approved = await new DevicePageVisitor(server.url).submit({ user_code: deviceFlow.user_code, email: user.email, password: user.password, action: 'approve' });
    assert.equal(approved.status, 200);
    const polled = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: deviceFlow.device_code, client_id: 'log-test' }) });
    const deviceGrant = (await polled.json()) as { access_token: string; refresh_token: string };
    assert.equal(polled.status, 200);
    assert.equal(find('signed in', (line) => line.grant === 'device_code')?.ip, '127.0.0.1');

    const printer = await registerAndClaim(server, user);
    assert.equal(find('printer registered', (line) => line.printerId === printer.printerId)?.claimed, false);
    assert.equal(find('printer claimed', (line) => line.printerId === printer.printerId)?.account, user.id);

    const submitted = await submitJob(server, user.token, printer.printerId);
    const jobId = submitted.body.job.id as string;
    const submitLine = find('http', (line) => line.url === '/cloudprint/submit');
    assert.deepEqual([submitLine?.ip, submitLine?.account, submitLine?.printerId, submitLine?.status], ['127.0.0.1', user.id, printer.printerId, 200]);
    assert.equal(typeof submitLine?.reqId, 'string');

    const control = await cloudApi(server, 'control', { jobid: jobId, semantic_state_diff: JSON.stringify({ state: { type: 'IN_PROGRESS' } }) }, { token: printer.accessToken });
    assert.equal(control.body.success, true, JSON.stringify(control.body));
    const changed = find('job state changed', (line) => line.jobId === jobId);
    assert.deepEqual([changed?.printerId, changed?.from, changed?.to], [printer.printerId, 'QUEUED', 'IN_PROGRESS']);

    const { sender_id } = await new Senders(running.context.store.db).create('log test');
    const registration = await CcsDevice.register(server.url, { sender: sender_id, app: 'com.example.logs' });
    const device = new CcsDevice({ host: '127.0.0.1', port: running.ports.xmpps!, ca: readFileSync(running.context.tls.caPath!, 'utf8'), jid: registration.jid, password: registration.password! });
    await device.connect();
    const started = await waitFor('the session start line', () => find('xmpp session started', (line) => String(line.jid).startsWith(registration.jid)));
    assert.equal(started.ip, '127.0.0.1');
    assert.equal(started.listener, 'xmpps');
    device.close();
    await waitFor('the session end line', () => find('xmpp session ended', (line) => line.jid === started.jid));

    for (const text of raw) {
      assert.deepEqual(duplicateKeys(text), [], text);
      assert.equal(JSON.parse(text).node, 'log-node', text);
      for (const secret of [user.token, user.password, deviceFlow.device_code, deviceGrant.access_token, deviceGrant.refresh_token, printer.accessToken, printer.refreshToken, registration.password!]) assert.ok(!text.includes(secret), `a secret in: ${text}`);
    }
  } finally {
    await running.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('duplicateKeys finds a key set twice at any depth, and only then', () => {
  assert.deepEqual(duplicateKeys('{"a":1,"b":{"c":2,"c":3},"a":"x"}'), ['c', 'a']);
  assert.deepEqual(duplicateKeys('{"a":["a","a"],"b":{"a":"\\"a"},"c":[{"a":1},{"a":2}]}'), []);
});
