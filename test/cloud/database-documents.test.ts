// A server with --documents database (documents in PostgreSQL): documents go
// in and out through /cloudprint and IPP, nothing of them is a file of the
// node, a broken upload leaves no row, deleting the job deletes its
// document, the conversion tools get their files and give the result back,
// and the start-up clean-up removes orphans old enough. On SQLite the option
// is refused at start-up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SHARED_SETTLE_MS } from '../../src/cloud/documents.ts';
import { ConfigError, resolveOptions, serverConfigFrom, SERVER_OPTIONS } from '../../src/config.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.ts';
import { startTestServer, tempDir, type TestServer } from '../helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, submitJob, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';
import { waitFor } from '../helpers/wait.ts';
import { attr, ipp } from '../../src/ipp/codec.ts';
import { ippCall, Op } from '../ipp/client.ts';
import { makePdf } from '../privet/helpers.ts';
import { samples } from './conversion/samples.ts';

let database: TestDatabase;
let server: TestServer;
let owner: TestUser;
let printer: ClaimedPrinter;

before(async () => {
  database = await createTestDatabase();
  server = await startTestServer({ database: database.url, documents: 'database' });
  owner = await createUser(server);
  printer = await registerAndClaim(server, owner);
});
after(async () => {
  await server?.stop();
  await database?.drop();
});

const db = () => server.context.store.db;
const documentRows = async () => (await db().selectFrom('documents').select(['name']).execute()).map((row) => row.name);
const filesOfNode = () => readdirSync(join(server.dataDir, 'documents')).filter((name) => !name.startsWith('.'));

test('on SQLite, --documents database is refused, by the options and at start-up, and says why', async () => {
  const why = /documents: database keeps documents in PostgreSQL and needs --database postgres/;
  assert.throws(() => serverConfigFrom(resolveOptions(SERVER_OPTIONS, { documents: 'database' }, {})), (error: Error) => error instanceof ConfigError && why.test(error.message));
  assert.equal(serverConfigFrom(resolveOptions(SERVER_OPTIONS, { documents: 'database', database: database.url }, {})).documents, 'database');
  const dataDir = tempDir();
  try {
    await assert.rejects(startTestServer({ dataDir, documents: 'database' }), why);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a 3 MiB document submitted is stored in the database, downloads byte for byte, and goes with its job', async () => {
  const content = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 13) % 256);
  const { body } = await submitJob(server, owner.token, printer.printerId, { content });
  assert.equal(body.success, true);
  assert.deepEqual(await documentRows(), [body.job.id]);
  assert.deepEqual(filesOfNode(), [], 'no file of the node holds it');
  const download = await fetch(body.job.fileUrl, { headers: { authorization: `Bearer ${printer.accessToken}` } });
  assert.equal(download.headers.get('content-length'), String(content.length));
  assert.deepEqual(new Uint8Array(await download.arrayBuffer()), content);
  await cloudApi(server, 'deletejob', { jobid: body.job.id }, { token: owner.token });
  assert.deepEqual(await documentRows(), []);
  assert.equal((await db().selectFrom('document_chunks').select('seq').execute()).length, 0);
});

test('a document printed over IPP (Print-Job) is stored in the database and downloads', async () => {
  const document = makePdf(1, 'over IPP');
  const reply = await ippCall({
    url: `${server.url}/ipp/print/${printer.printerId}`, operation: Op.printJob, auth: { username: owner.email, password: owner.password },
    attributes: [attr('document-format', ipp.mime('application/pdf'))], document,
  });
  assert.equal(reply.status, 0);
  const [job] = (await cloudApi(server, 'jobs', { printerid: printer.printerId }, { token: owner.token })).body.jobs as Array<Record<string, string>>;
  assert.deepEqual(await documentRows(), [job!.id]);
  const download = await fetch(`${server.url}/cloudprint/download?id=${job!.id}`, { headers: { authorization: `Bearer ${printer.accessToken}` } });
  assert.deepEqual(Buffer.from(await download.arrayBuffer()), document);
  await cloudApi(server, 'deletejob', { jobid: job!.id }, { token: owner.token });
});

test('a connection dropped mid-upload leaves no document row and no chunk', async () => {
  const url = new URL(server.url);
  const head = `--XyZ\r\nContent-Disposition: form-data; name="printerid"\r\n\r\n${printer.printerId}\r\n--XyZ\r\nContent-Disposition: form-data; name="contentType"\r\n\r\napplication/pdf\r\n` +
    '--XyZ\r\nContent-Disposition: form-data; name="content"; filename="doc.pdf"\r\nContent-Type: application/pdf\r\n\r\n';
  const socket = connect(Number(url.port), url.hostname);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(`POST /cloudprint/submit HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${owner.token}\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: ${head.length + 4 * 1024 * 1024}\r\n\r\n${head}`);
  // Past the first chunks: the upload is rows by then.
  socket.write(Buffer.alloc(1024 * 1024, 1));
  await waitFor('the upload to be in chunk rows', async () => (await db().selectFrom('document_chunks').select('seq').execute()).length >= 2 || undefined);
  socket.destroy();
  await waitFor('the upload to be removed', async () => (await db().selectFrom('documents').select('id').execute()).length === 0 || undefined);
  assert.equal((await db().selectFrom('document_chunks').select('seq').execute()).length, 0);
});

test('a PNG for a PDF printer is converted from the database and back, and forcepwg=1 rasterises a stored PDF; no file stays on the node', async () => {
  const pdfOnly = await registerAndClaim(server, owner, { capabilities: { version: '1.0', printer: { supported_content_type: [{ content_type: 'application/pdf' }] } } });
  const png = await submitJob(server, owner.token, pdfOnly.printerId, { content: new Uint8Array(samples().png!.content), contentType: 'image/png' });
  assert.equal(png.body.success, true, JSON.stringify(png.body));
  const jobId = String(png.body.job.id);
  const converted = await waitFor('the PNG converted', async () => {
    const [row] = await db().selectFrom('jobs').select(['status', 'document_path', 'content_type']).where('id', '=', jobId).execute();
    return row?.status === 'QUEUED' ? row : undefined;
  }, 30_000);
  assert.equal(converted.content_type, 'application/pdf');
  assert.deepEqual(await documentRows(), [converted.document_path], 'the PNG is replaced by the PDF');
  const download = await fetch(`${server.url}/cloudprint/download?id=${jobId}`, { headers: { authorization: `Bearer ${pdfOnly.accessToken}` } });
  assert.match(Buffer.from(await download.arrayBuffer()).subarray(0, 8).toString('latin1'), /^%PDF-1\.\d/);

  const pdf = await submitJob(server, owner.token, pdfOnly.printerId, { content: new Uint8Array(makePdf(1)) });
  const raster = await fetch(`${server.url}/cloudprint/download?id=${pdf.body.job.id}&forcepwg=1`, { headers: { authorization: `Bearer ${pdfOnly.accessToken}` } });
  assert.equal(raster.headers.get('content-type'), 'image/pwg-raster');
  assert.equal(Buffer.from(await raster.arrayBuffer()).subarray(0, 4).toString('latin1'), 'RaS2');
  await waitFor('no copy or output left on the node', () => readdirSync(join(server.dataDir, 'documents', '.incoming')).length === 0 || undefined);
  assert.deepEqual(filesOfNode(), []);
  for (const id of [jobId, pdf.body.job.id]) await cloudApi(server, 'deletejob', { jobid: id }, { token: owner.token });
});

test('at start-up, documents no job refers to go once ten minutes old; uploads of another node and documents of jobs stay', async () => {
  const { body } = await submitJob(server, owner.token, printer.printerId, { content: 'a job of its own' });
  const old = Date.now() - SHARED_SETTLE_MS - 60_000;
  const row = (id: string, name: string | null, updatedAt: number) => ({ id, name, size: 0, chunks: 0, updated_at: updatedAt });
  await db().insertInto('documents').values([row('u-old-orphan', 'old-orphan', old), row('u-young', 'young-orphan', Date.now()), row('u-dead', null, old), row('u-alive', null, Date.now())]).execute();
  await db().updateTable('documents').set({ updated_at: old }).where('name', '=', body.job.id).execute();
  await server.stop();
  server = await startTestServer({ database: database.url, documents: 'database' });
  assert.deepEqual((await documentRows()).sort(), [body.job.id, null, 'young-orphan'].sort());
  assert.deepEqual((await db().selectFrom('documents').select('id').where('name', 'is', null).execute()).map((r) => r.id), ['u-alive']);
  await db().deleteFrom('documents').where('id', 'in', ['u-young', 'u-alive']).execute();
  await cloudApi(server, 'deletejob', { jobid: body.job.id }, { token: owner.token });
});
