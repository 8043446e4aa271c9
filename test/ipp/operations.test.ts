// IPP operations against a real `ocp server` over HTTP (RFC 8011, PWG
// 5100.14): who may do what (HTTP Basic with a password or an API token,
// the cloud's sharing rules), jobs seen from /cloudprint as theirs, status
// codes for what is not supported, and a document that streams into the
// document store while it is still being sent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { attr, encodeMessage, GroupTag, ipp } from '../../src/ipp/codec.ts';
import { ippJobId } from '../../src/ipp/job-attributes.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';
import { waitFor } from '../helpers/wait.ts';
import { ippCall, Op, values, type IppCall } from './client.ts';

const MAX_QUEUED = 3;
const MAX_DOCUMENT = 8 * 1024 * 1024;
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n');

let server: TestServer;
let owner: TestUser;
let stranger: TestUser;
let printer: ClaimedPrinter;

before(async () => {
  server = await startTestServer({ ippMaxQueuedJobs: MAX_QUEUED, maxDocumentSize: MAX_DOCUMENT });
  owner = await createUser(server);
  stranger = await createUser(server);
  printer = await registerAndClaim(server, owner);
});
after(async () => {
  await server?.stop();
});

const urlOf = (printerId: string) => `${server.url}/ipp/print/${printerId}`;
const asOwner = () => ({ username: owner.email, password: owner.password });
const call = (options: Omit<IppCall, 'url'> & { printerId?: string }) => ippCall({ url: urlOf(options.printerId ?? printer.printerId), ...options });

async function printPdf(printerId: string, auth: IppCall['auth'] = asOwner(), job = [attr('copies', ipp.int(2))]) {
  return call({ printerId, operation: Op.printJob, auth, attributes: [attr('job-name', ipp.name('ipp test')), attr('document-format', ipp.mime('application/pdf'))], job, document: PDF });
}

/** An IPP request of the owner's whose body the test writes as it goes: the request, and the reply's bytes once it ends. */
function ownersUpload(printerId: string) {
  const req = request(urlOf(printerId), { method: 'POST', headers: { 'content-type': 'application/ipp', authorization: `Basic ${Buffer.from(`${owner.email}:${owner.password}`).toString('base64')}` } });
  const replied = new Promise<Buffer>((resolve, reject) => {
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve(Buffer.concat(parts)));
    });
    req.on('error', reject);
  });
  return { req, replied };
}

async function cloudJobs(user: TestUser, printerId: string) {
  return (await cloudApi(server, 'jobs', { printerid: printerId }, { token: user.token })).body.jobs as Array<Record<string, any>>;
}

test('Get-Printer-Attributes answers without credentials, from the CDD; a printer whose device is not connected is stopped, offline-report', async () => {
  const reply = await call({ operation: Op.getPrinterAttributes });
  assert.equal(reply.http, 200);
  assert.equal(reply.status, 0);
  assert.deepEqual(values(reply.printer, 'printer-state'), [5]);
  assert.deepEqual(values(reply.printer, 'printer-state-reasons'), ['offline-report', 'shutdown-report']);
  assert.deepEqual(values(reply.printer, 'media-supported'), ['iso_a4_210x297mm', 'na_letter_8.5x11in']);
  assert.deepEqual(values(reply.printer, 'sides-supported'), ['one-sided', 'two-sided-long-edge']);
  assert.deepEqual(values(reply.printer, 'print-color-mode-supported'), ['color', 'monochrome']);
  assert.deepEqual(values(reply.printer, 'print-color-mode-default'), ['monochrome']);
  assert.deepEqual(values(reply.printer, 'copies-supported'), [{ lower: 1, upper: 99 }]);
  assert.deepEqual(values(reply.printer, 'uri-authentication-supported'), ['basic']);
  assert.equal(values(reply.printer, 'printer-make-and-model')[0], 'OpenCloudPrint Test 1');
  assert.match(String(values(reply.printer, 'printer-uuid')[0]), /^urn:uuid:[0-9a-f-]{36}$/);
  assert.ok(values(reply.printer, 'document-format-supported').includes('image/jpeg'), 'JPEG is converted to the PDF the printer takes');
  assert.ok(!values(reply.printer, 'document-format-supported').includes('image/urf'), 'nothing converts URF');
  const filtered = await call({ operation: Op.getPrinterAttributes, attributes: [attr('requested-attributes', ipp.keyword('printer-state'), ipp.keyword('sides-default'))] });
  assert.deepEqual([...filtered.printer.keys()], ['printer-state', 'sides-default']);
});

test('an unknown or unclaimed printer is client-error-not-found', async () => {
  const reply = await call({ printerId: crypto.randomUUID(), operation: Op.getPrinterAttributes });
  assert.equal(reply.status, 0x0406);
});

test('job operations need HTTP Basic: 401 with WWW-Authenticate, then the password or an API token', async () => {
  const anonymous = await printPdf(printer.printerId, null);
  assert.equal(anonymous.http, 401);
  assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic realm="OpenCloudPrint"/);
  const wrong = await printPdf(printer.printerId, { username: owner.email, password: 'wrong password' });
  assert.equal(wrong.http, 401);
  const byPassword = await printPdf(printer.printerId);
  assert.equal(byPassword.status, 0, JSON.stringify([...byPassword.operation]));
  const apiToken = await server.context.accounts.issueApiToken(owner.id);
  const byToken = await printPdf(printer.printerId, { username: 'anything', password: apiToken });
  assert.equal(byToken.status, 0);
  for (const reply of [byPassword, byToken]) await call({ operation: Op.cancelJob, auth: asOwner(), attributes: [attr('job-id', ipp.int(Number(values(reply.jobs[0]!, 'job-id')[0])))] });
});

test('the job is the user\'s in /cloudprint/jobs, with the job template attributes as its CJT', async () => {
  const reply = await printPdf(printer.printerId, asOwner(), [attr('copies', ipp.int(2)), attr('sides', ipp.keyword('two-sided-long-edge')), attr('media', ipp.keyword('na_letter_8.5x11in')), attr('print-color-mode', ipp.keyword('color'))]);
  assert.equal(reply.status, 0);
  const jobId = Number(values(reply.jobs[0]!, 'job-id')[0]);
  assert.deepEqual(values(reply.jobs[0]!, 'job-state'), [3]);
  const job = (await cloudJobs(owner, printer.printerId)).find((j) => ippJobId(j.id) === jobId);
  assert.ok(job, 'the IPP job-id names the cloud job');
  assert.equal(job.ownerId, owner.email);
  assert.equal(job.title, 'ipp test');
  assert.equal(job.contentType, 'application/pdf');
  const ticket = (await cloudApi(server, 'ticket', { jobid: job.id }, { token: owner.token })).body;
  assert.deepEqual(ticket.print.copies, { copies: 2 });
  assert.deepEqual(ticket.print.duplex, { type: 'LONG_EDGE' });
  assert.deepEqual(ticket.print.color, { type: 'STANDARD_COLOR' });
  assert.equal(ticket.print.media_size.vendor_id, 'Letter');
  const download = await fetch(job.fileUrl, { headers: { authorization: `Bearer ${owner.token}` } });
  assert.deepEqual(Buffer.from(await download.arrayBuffer()), PDF);
  await call({ operation: Op.cancelJob, auth: asOwner(), attributes: [attr('job-id', ipp.int(jobId))] });
});

test('a user the printer is not shared with is client-error-not-authorized; after the share they print', async () => {
  const other = await registerAndClaim(server, owner);
  const refused = await printPdf(other.printerId, { username: stranger.email, password: stranger.password });
  assert.equal(refused.status, 0x0403);
  assert.equal((await cloudJobs(owner, other.printerId)).length, 0);
  const shared = await cloudApi(server, 'share', { printerid: other.printerId, scope: stranger.email, role: 'USER' }, { token: owner.token });
  assert.equal(shared.body.success, true);
  const printed = await printPdf(other.printerId, { username: stranger.email, password: stranger.password });
  assert.equal(printed.status, 0);
  // Theirs in /cloudprint/jobs; the owner (who manages the printer) sees it in Get-Jobs, the stranger sees only their own.
  assert.equal((await cloudApi(server, 'jobs', {}, { token: stranger.token })).body.jobs.length, 1);
  await printPdf(other.printerId);
  const ownerView = await call({ printerId: other.printerId, operation: Op.getJobs, auth: asOwner(), attributes: [attr('requested-attributes', ipp.keyword('job-originating-user-name'))] });
  assert.deepEqual(ownerView.jobs.map((j) => values(j, 'job-originating-user-name')[0]).sort(), [owner.email, stranger.email].sort());
  const strangerView = await call({ printerId: other.printerId, operation: Op.getJobs, auth: { username: stranger.email, password: stranger.password }, attributes: [attr('requested-attributes', ipp.keyword('job-originating-user-name'))] });
  assert.deepEqual(strangerView.jobs.map((j) => values(j, 'job-originating-user-name')[0]), [stranger.email]);
});

test('a full queue answers server-error-busy', async () => {
  const other = await registerAndClaim(server, owner);
  for (let i = 0; i < MAX_QUEUED; i++) assert.equal((await printPdf(other.printerId)).status, 0);
  assert.equal((await printPdf(other.printerId)).status, 0x0507);
  assert.equal((await cloudJobs(owner, other.printerId)).length, MAX_QUEUED);
});

test('unsupported values: refused with the unsupported group under ipp-attribute-fidelity, ignored without it', async () => {
  const other = await registerAndClaim(server, owner);
  const shortEdge = [attr('sides', ipp.keyword('two-sided-short-edge')), attr('x-unknown-thing', ipp.keyword('x'))];
  const strict = await call({ printerId: other.printerId, operation: Op.printJob, auth: asOwner(), attributes: [attr('ipp-attribute-fidelity', ipp.bool(true))], job: shortEdge, document: PDF });
  assert.equal(strict.status, 0x040b);
  assert.deepEqual(values(strict.unsupported, 'sides'), ['two-sided-short-edge']);
  assert.ok(strict.unsupported.has('x-unknown-thing'));
  assert.equal((await cloudJobs(owner, other.printerId)).length, 0);
  const lenient = await call({ printerId: other.printerId, operation: Op.printJob, auth: asOwner(), job: shortEdge, document: PDF });
  assert.equal(lenient.status, 0x0001);
  const [job] = await cloudJobs(owner, other.printerId);
  const ticket = (await cloudApi(server, 'ticket', { jobid: job!.id }, { token: owner.token })).body;
  assert.equal(ticket.print.duplex, undefined);
});

test('a format the printer cannot take is client-error-document-format-not-supported; an unknown compression is refused', async () => {
  const urf = await call({ operation: Op.printJob, auth: asOwner(), attributes: [attr('document-format', ipp.mime('image/urf'))], document: Buffer.from('UNIRAST\0') });
  assert.equal(urf.status, 0x040a);
  assert.deepEqual(values(urf.unsupported, 'document-format'), ['image/urf']);
  const sniffed = await call({ operation: Op.validateJob, auth: asOwner(), attributes: [attr('compression', ipp.keyword('compress'))] });
  assert.equal(sniffed.status, 0x040f);
});

test('gzip documents are stored decompressed; application/octet-stream is recognised by its first bytes', async () => {
  const other = await registerAndClaim(server, owner);
  const reply = await call({ printerId: other.printerId, operation: Op.printJob, auth: asOwner(), attributes: [attr('compression', ipp.keyword('gzip'))], document: gzipSync(PDF) });
  assert.equal(reply.status, 0);
  const [job] = await cloudJobs(owner, other.printerId);
  assert.equal(job!.contentType, 'application/pdf');
  const download = await fetch(job!.fileUrl, { headers: { authorization: `Bearer ${owner.token}` } });
  assert.deepEqual(Buffer.from(await download.arrayBuffer()), PDF);
  const garbage = await call({ printerId: other.printerId, operation: Op.printJob, auth: asOwner(), attributes: [attr('compression', ipp.keyword('gzip'))], document: PDF });
  assert.equal(garbage.status, 0x0410, 'compression-error');
});

test('Create-Job, Send-Document: one job-id from start to end; Cancel-Job then cancels it in the cloud', async () => {
  const other = await registerAndClaim(server, owner);
  const created = await call({ printerId: other.printerId, operation: Op.createJob, auth: asOwner(), attributes: [attr('job-name', ipp.name('two steps'))] });
  assert.equal(created.status, 0);
  const jobId = Number(values(created.jobs[0]!, 'job-id')[0]);
  const pending = await call({ printerId: other.printerId, operation: Op.getJobAttributes, auth: asOwner(), attributes: [attr('job-id', ipp.int(jobId))] });
  assert.deepEqual(values(pending.jobs[0]!, 'job-state'), [3]);
  const sent = await call({ printerId: other.printerId, operation: Op.sendDocument, auth: asOwner(), attributes: [attr('job-id', ipp.int(jobId)), attr('last-document', ipp.bool(true))], document: PDF });
  assert.equal(sent.status, 0);
  assert.deepEqual(values(sent.jobs[0]!, 'job-id'), [jobId]);
  const [job] = await cloudJobs(owner, other.printerId);
  assert.equal(ippJobId(job!.id), jobId);
  assert.equal(job!.title, 'two steps');
  const canceled = await call({ printerId: other.printerId, operation: Op.cancelJob, auth: asOwner(), attributes: [attr('job-id', ipp.int(jobId))] });
  assert.equal(canceled.status, 0);
  const [after] = await cloudJobs(owner, other.printerId);
  assert.deepEqual(after!.semanticState.state, { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } });
  const again = await call({ printerId: other.printerId, operation: Op.cancelJob, auth: asOwner(), attributes: [attr('job-id', ipp.int(jobId))] });
  assert.equal(again.status, 0x0404, 'a canceled job cannot be canceled again');
  const stranger403 = await call({ printerId: other.printerId, operation: Op.getJobAttributes, auth: { username: stranger.email, password: stranger.password }, attributes: [attr('job-id', ipp.int(jobId))] });
  assert.equal(stranger403.status, 0x0406, 'another user\'s job does not exist for them');
});

test('job states follow the device: processing, processing-stopped, completed', async () => {
  const other = await registerAndClaim(server, owner);
  const reply = await printPdf(other.printerId);
  const jobId = Number(values(reply.jobs[0]!, 'job-id')[0]);
  const [job] = await cloudJobs(owner, other.printerId);
  const stateOf = async () => {
    const attributes = await call({ printerId: other.printerId, operation: Op.getJobAttributes, auth: asOwner(), attributes: [attr('job-id', ipp.int(jobId))] });
    return { state: values(attributes.jobs[0]!, 'job-state')[0], reasons: values(attributes.jobs[0]!, 'job-state-reasons') };
  };
  const report = (state: unknown) => cloudApi(server, 'control', { jobid: job!.id, semantic_state_diff: JSON.stringify({ state }) }, { token: other.accessToken });
  await report({ type: 'IN_PROGRESS' });
  assert.deepEqual(await stateOf(), { state: 5, reasons: ['job-printing'] });
  await report({ type: 'STOPPED', device_state_cause: { error_code: 'INPUT_TRAY' } });
  assert.deepEqual(await stateOf(), { state: 6, reasons: ['printer-stopped', 'resources-are-not-ready'] });
  await report({ type: 'DONE' });
  assert.deepEqual(await stateOf(), { state: 9, reasons: ['job-completed-successfully'] });
});

test('malformed requests get client-error-bad-request, never a crash; a request-id of 0 too', async () => {
  const truncated = encodeMessage({ version: { major: 2, minor: 0 }, code: Op.getPrinterAttributes, requestId: 7, groups: [{ tag: GroupTag.operation, attributes: [attr('attributes-charset', ipp.charset('utf-8'))] }] }).subarray(0, 20);
  for (const body of [truncated, Buffer.from([2, 0, 0, 11, 0, 0, 0, 1, 1, 0x7f, 0, 0])]) {
    const response = await fetch(urlOf(printer.printerId), { method: 'POST', headers: { 'content-type': 'application/ipp' }, body: new Uint8Array(body) });
    assert.equal(response.status, 200);
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.equal(bytes.readUInt16BE(2), 0x0400);
  }
  const zero = await call({ operation: Op.getPrinterAttributes, requestId: 0 });
  assert.equal(zero.status, 0x0400);
  const wrongType = await fetch(urlOf(printer.printerId), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
  assert.equal(wrongType.status, 415);
  assert.equal((await call({ operation: 0x0003 /* Print-URI */, auth: asOwner() })).status, 0x0501);
});

test('a document larger than --max-document-size is client-error-request-entity-too-large and leaves nothing behind', async () => {
  const other = await registerAndClaim(server, owner);
  const big = Buffer.concat([PDF, Buffer.alloc(MAX_DOCUMENT + 1)]);
  const reply = await call({ printerId: other.printerId, operation: Op.printJob, auth: asOwner(), attributes: [attr('document-format', ipp.mime('application/pdf'))], document: big });
  assert.equal(reply.status, 0x0409);
  assert.equal((await cloudJobs(owner, other.printerId)).length, 0);
  assert.deepEqual(readdirSync(join(server.dataDir, 'documents', '.incoming')), []);
});

test('the document streams into the document store while it is being sent (no whole-document buffering)', async () => {
  const other = await registerAndClaim(server, owner);
  const head = encodeMessage({
    version: { major: 2, minor: 0 }, code: Op.printJob, requestId: 1,
    groups: [{ tag: GroupTag.operation, attributes: [attr('attributes-charset', ipp.charset('utf-8')), attr('attributes-natural-language', ipp.language('en')), attr('printer-uri', ipp.uri(urlOf(other.printerId))), attr('document-format', ipp.mime('application/pdf'))] }],
  });
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const incoming = join(server.dataDir, 'documents', '.incoming');
  const { req, replied } = ownersUpload(other.printerId);
  req.write(Buffer.concat([head, PDF]));
  for (let i = 0; i < 3; i++) req.write(chunk);
  // More than the store's 1 MiB write batch is on disk before the request ends.
  await waitFor('the document on disk', () => readdirSync(incoming).some((name) => statSync(join(incoming, name)).size >= 1024 * 1024) || undefined, 10_000);
  req.end(chunk);
  const reply = await replied;
  assert.equal(reply.readUInt16BE(2), 0);
  const [job] = await cloudJobs(owner, other.printerId);
  assert.equal(job!.contentSize, PDF.length + 4 * chunk.length);
});

test('a Cancel-Job while its Send-Document is still uploading cancels the job: the Send-Document answers not-possible and the stored job is canceled', async () => {
  const other = await registerAndClaim(server, owner);
  const created = await call({ printerId: other.printerId, operation: Op.createJob, auth: asOwner(), attributes: [attr('job-name', ipp.name('canceled in flight'))] });
  const jobId = Number(values(created.jobs[0]!, 'job-id')[0]);
  const head = encodeMessage({
    version: { major: 2, minor: 0 }, code: Op.sendDocument, requestId: 1,
    groups: [{ tag: GroupTag.operation, attributes: [attr('attributes-charset', ipp.charset('utf-8')), attr('attributes-natural-language', ipp.language('en')), attr('printer-uri', ipp.uri(urlOf(other.printerId))), attr('job-id', ipp.int(jobId)), attr('last-document', ipp.bool(true)), attr('document-format', ipp.mime('application/pdf'))] }],
  });
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const incoming = join(server.dataDir, 'documents', '.incoming');
  const { req, replied } = ownersUpload(other.printerId);
  req.write(Buffer.concat([head, PDF]));
  for (let i = 0; i < 2; i++) req.write(chunk);
  // The document is arriving: the Send-Document holds the job.
  await waitFor('the document on disk', () => readdirSync(incoming).some((name) => statSync(join(incoming, name)).size >= 1024 * 1024) || undefined, 10_000);
  const listed = await call({ printerId: other.printerId, operation: Op.getJobAttributes, auth: asOwner(), attributes: [attr('job-id', ipp.int(jobId))] });
  assert.deepEqual(values(listed.jobs[0]!, 'job-state'), [3], 'still a pending job while its document comes');
  const canceled = await call({ printerId: other.printerId, operation: Op.cancelJob, auth: asOwner(), attributes: [attr('job-id', ipp.int(jobId))] });
  assert.equal(canceled.status, 0, String(canceled.operation.get('status-message')?.[0]?.value));
  req.end(chunk);
  const reply = await replied;
  assert.equal(reply.readUInt16BE(2), 0x0404, 'client-error-not-possible: canceled while it was sent');
  const [job] = await cloudJobs(owner, other.printerId);
  assert.equal(ippJobId(job!.id), jobId);
  assert.deepEqual(job!.semanticState.state, { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } });
  const seen = await call({ printerId: other.printerId, operation: Op.getJobAttributes, auth: asOwner(), attributes: [attr('job-id', ipp.int(jobId))] });
  assert.deepEqual(values(seen.jobs[0]!, 'job-state'), [7], 'canceled');
});

test('Basic over plain HTTP from another host is refused with 426 before any password is read (ipps instead)', async () => {
  const body = encodeMessage({
    version: { major: 2, minor: 0 }, code: Op.getJobs, requestId: 1,
    groups: [{ tag: GroupTag.operation, attributes: [attr('attributes-charset', ipp.charset('utf-8')), attr('attributes-natural-language', ipp.language('en')), attr('printer-uri', ipp.uri(urlOf(printer.printerId)))] }],
  });
  const headers = { 'content-type': 'application/ipp', authorization: `Basic ${Buffer.from(`${owner.email}:${owner.password}`).toString('base64')}` };
  // Fastify's inject: a request from a LAN address without sending a packet anywhere.
  const remote = await server.http.inject({ method: 'POST', url: `/ipp/print/${printer.printerId}`, headers, payload: body, remoteAddress: '192.0.2.10' });
  assert.equal(remote.statusCode, 426);
  assert.match(String(remote.headers.upgrade), /^TLS/);
  const local = await server.http.inject({ method: 'POST', url: `/ipp/print/${printer.printerId}`, headers, payload: body, remoteAddress: '127.0.0.1' });
  assert.equal(local.statusCode, 200);
  // Get-Printer-Attributes needs no password, so it is served to anyone.
  const anyone = await server.http.inject({ method: 'POST', url: `/ipp/print/${printer.printerId}`, headers: { 'content-type': 'application/ipp' }, payload: encodeMessage({ version: { major: 2, minor: 0 }, code: Op.getPrinterAttributes, requestId: 1, groups: [{ tag: GroupTag.operation, attributes: [attr('attributes-charset', ipp.charset('utf-8')), attr('attributes-natural-language', ipp.language('en')), attr('printer-uri', ipp.uri(urlOf(printer.printerId)))] }] }), remoteAddress: '192.0.2.10' });
  assert.equal(anyone.statusCode, 200);
});

test('Create-Jobs waiting for their document count against the queue limit', async () => {
  const other = await registerAndClaim(server, owner);
  for (let i = 0; i < MAX_QUEUED; i++) assert.equal((await call({ printerId: other.printerId, operation: Op.createJob, auth: asOwner() })).status, 0);
  assert.equal((await call({ printerId: other.printerId, operation: Op.createJob, auth: asOwner() })).status, 0x0507);
  await call({ printerId: other.printerId, operation: Op.cancelMyJobs, auth: asOwner() });
  assert.equal((await call({ printerId: other.printerId, operation: Op.createJob, auth: asOwner() })).status, 0, 'Cancel-My-Jobs let them go');
});

test('a client that goes away in the middle of its document leaves no job and no file, and is not logged as a server error', async () => {
  const other = await registerAndClaim(server, owner);
  const head = encodeMessage({
    version: { major: 2, minor: 0 }, code: Op.printJob, requestId: 1,
    groups: [{ tag: GroupTag.operation, attributes: [attr('attributes-charset', ipp.charset('utf-8')), attr('attributes-natural-language', ipp.language('en')), attr('printer-uri', ipp.uri(urlOf(other.printerId))), attr('document-format', ipp.mime('application/pdf'))] }],
  });
  const errors: unknown[] = [];
  const log = server.context.log as unknown as { error: (...args: unknown[]) => void };
  const original = log.error;
  log.error = (...args: unknown[]) => {
    errors.push(args);
    original.apply(log, args);
  };
  try {
    const req = request(urlOf(other.printerId), { method: 'POST', headers: { 'content-type': 'application/ipp', 'content-length': String(head.length + 4 * 1024 * 1024), authorization: `Basic ${Buffer.from(`${owner.email}:${owner.password}`).toString('base64')}` } });
    req.on('error', () => {});
    req.write(Buffer.concat([head, PDF, Buffer.alloc(1024 * 1024)]));
    const incoming = join(server.dataDir, 'documents', '.incoming');
    await waitFor('upload started', () => readdirSync(incoming).length > 0 || undefined, 10_000);
    req.destroy();
    await waitFor('temporary file removed', () => readdirSync(incoming).length === 0 || undefined, 10_000);
  } finally {
    log.error = original;
  }
  assert.equal((await cloudJobs(owner, other.printerId)).length, 0);
  assert.deepEqual(errors, []);
  assert.equal((await call({ operation: Op.getPrinterAttributes })).status, 0, 'the server goes on');
});

test('printer-icons names a PNG the server serves', async () => {
  const reply = await call({ operation: Op.getPrinterAttributes, attributes: [attr('requested-attributes', ipp.keyword('printer-icons'))] });
  const [icon] = values(reply.printer, 'printer-icons') as string[];
  assert.match(icon!, /^http:\/\/127\.0\.0\.1:\d+\/ipp\/icon\.png$/);
  const response = await fetch(icon!);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'image/png');
  const png = Buffer.from(await response.arrayBuffer());
  assert.deepEqual([...png.subarray(1, 4)], [...Buffer.from('PNG')]);
  assert.equal(png.readUInt32BE(16), 128, 'width');
});
