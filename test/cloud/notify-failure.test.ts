// A submit whose job is stored is answered with success even when the
// notification bus fails (its Redis is gone): an error would make the client
// submit again and the job print twice. The device catches up on reconnect.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../helpers/ports.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, submitJob } from '../helpers/cloud.ts';

let redis: ChildProcess;
let server: TestServer;

before(async () => {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let tries = 0; ; tries++) {
    try {
      server = await startTestServer({ bus: `redis://127.0.0.1:${port}` });
      break;
    } catch (error) {
      if (tries > 50) throw error;
      await sleep(100); // redis-server still starting
    }
  }
});
after(async () => {
  await server.stop();
  if (redis.exitCode === null) redis.kill('SIGKILL');
});

test('submit succeeds, and the job is there, when the bus cannot deliver its notification', async () => {
  const owner = await createUser(server);
  const printer = await registerAndClaim(server, owner);
  redis.kill('SIGKILL');
  await once(redis, 'exit');
  const { status, body } = await submitJob(server, owner.token, printer.printerId);
  assert.equal(status, 200);
  assert.equal(body.success, true);
  const fetched = await cloudApi(server, 'fetch', { printerid: printer.printerId }, { token: printer.accessToken });
  assert.deepEqual(fetched.body.jobs.map((job: { id: string }) => job.id), [body.job.id]);
});
