// Requests of Google's printer certification tooling (GCP 2.0), replayed as it
// sent them: method, parameters and where the credentials sit (issue 16).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudRoutes } from '../../src/cloud/index.ts';
import { methodsOf } from '../../src/cloud/route-table.ts';
import type { CloudService } from '../../src/cloud/service.ts';
import { createUser, registerAndClaim, SAMPLE_LOCAL_SETTINGS, submitJob, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';

/** One raw request: `Authorization: Bearer` and nothing else the helpers add. */
async function send(server: TestServer, method: 'GET' | 'POST', pathAndQuery: string, token: string, form?: string) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(`${server.url}/cloudprint/${pathAndQuery}`, { method, headers, body: form });
  const text = await response.text();
  return { status: response.status, body: (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
}

describe('certification tooling requests', () => {
  let server: TestServer;
  let owner: TestUser;
  let printer: ClaimedPrinter;

  before(async () => {
    server = await startTestServer();
    owner = await createUser(server);
    printer = await registerAndClaim(server, owner, { name: 'Certified' });
  });
  after(async () => await server.stop());

  test('GET deletejob?jobid=… deletes the job, as POST does', async () => {
    const job = (await submitJob(server, owner.token, printer.printerId)).body.job.id as string;
    const deleted = await send(server, 'GET', `deletejob?jobid=${job}`, owner.token);
    assert.equal(deleted.status, 200);
    assert.equal(deleted.body.success, true);
    assert.deepEqual(deleted.body.request.params, { jobid: [job] });
    const again = await send(server, 'GET', `deletejob?jobid=${job}`, owner.token);
    assert.equal(again.body.success, false, 'the job is gone');
  });

  test('HEAD is not GET: it changes nothing', async () => {
    const job = (await submitJob(server, owner.token, printer.printerId)).body.job.id as string;
    const head = await fetch(`${server.url}/cloudprint/deletejob?jobid=${job}`, { method: 'HEAD', headers: { authorization: `Bearer ${owner.token}` } });
    assert.equal(head.status, 404);
    const jobs = await send(server, 'GET', `jobs?printerid=${printer.printerId}`, owner.token);
    assert.ok(jobs.body.jobs.some((j: { id: string }) => j.id === job), 'the job is still there');
  });

  test('every interface but the document upload answers GET; the same authentication applies', async () => {
    const routes = cloudRoutes({ config: server.context.config } as CloudService);
    for (const route of routes) {
      const anonymous = await fetch(`${server.url}/cloudprint/${route.path}`);
      await anonymous.body?.cancel();
      if (route.document) {
        assert.deepEqual(methodsOf(route), ['POST']);
        assert.equal(anonymous.status, 404, `GET ${route.path}: a document comes by POST only`);
      } else {
        assert.notEqual(anonymous.status, 404, `GET ${route.path} is served`);
        if (route.auth === 'required') assert.equal(anonymous.status, 401, `GET ${route.path} without a token is refused`);
      }
    }
  });

  test('GET and POST give the same answer (printer)', async () => {
    const query = `printerid=${printer.printerId}&usecdd=True&extra_fields=connectionStatus,semanticState,uiState,queuedJobsCount`;
    const byGet = await send(server, 'GET', `printer?${query}`, owner.token);
    const byPost = await send(server, 'POST', 'printer', owner.token, query);
    assert.equal(byGet.status, 200);
    assert.deepEqual(byGet.body, byPost.body);
  });

  test('update with local_settings={} is not an error and answers current and pending', async () => {
    for (const token of [owner.token, printer.accessToken]) {
      const polled = await send(server, 'POST', 'update', token, `printerid=${printer.printerId}&local_settings=%7B%7D`);
      assert.equal(polled.status, 200, JSON.stringify(polled.body));
      assert.equal(polled.body.success, true);
      assert.deepEqual(polled.body.local_settings, { current: SAMPLE_LOCAL_SETTINGS.current, pending: SAMPLE_LOCAL_SETTINGS.current });
    }
    const viaGet = await send(server, 'GET', `update?printerid=${printer.printerId}&local_settings={}`, owner.token);
    assert.equal(viaGet.body.success, true);
  });

  test('update and printer show pending next to current while the device has not adopted it', async () => {
    const wanted = { ...SAMPLE_LOCAL_SETTINGS.current, xmpp_timeout_value: 450 };
    const asked = await send(server, 'POST', 'update', owner.token, new URLSearchParams({ printerid: printer.printerId, local_settings: JSON.stringify({ pending: wanted }) }).toString());
    assert.deepEqual(asked.body.local_settings, { current: SAMPLE_LOCAL_SETTINGS.current, pending: wanted });
    const shown = await send(server, 'GET', `printer?printerid=${printer.printerId}`, printer.accessToken);
    assert.deepEqual(shown.body.printers[0].local_settings, { current: SAMPLE_LOCAL_SETTINGS.current, pending: wanted });
    const adopted = await send(server, 'POST', 'update', printer.accessToken, new URLSearchParams({ printerid: printer.printerId, local_settings: JSON.stringify({ current: wanted }) }).toString());
    assert.deepEqual(adopted.body.local_settings, { current: wanted, pending: wanted });
  });
});
