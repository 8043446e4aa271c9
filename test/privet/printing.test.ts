// Privet §4.5, §5 against a real `ocp printer` that was registered earlier
// and cannot reach its cloud now (§4.1.4: it keeps its last known settings).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { makePdf, makePwg, seedRegistration, slowUpload, startPrinter, tempDir, waitFor, type TestPrinter } from './helpers.ts';

let printer: TestPrinter;
before(async () => {
  const dataDir = tempDir();
  seedRegistration(dataDir);
  printer = await startPrinter({ dataDir, args: ['--no-mdns', '--job-lifetime', '3', '--max-document-size', String(4 << 20)] });
});
after(async () => {
  await printer.stop();
  printer.cleanup();
});

const pdf = makePdf(2);

async function submit(body: Buffer, query = '', type = 'application/pdf') {
  return printer.call(`/privet/printer/submitdoc${query}`, { method: 'POST', body, headers: { 'Content-Type': type } });
}

test('a registered printer exposes the printing APIs and hides /privet/register (404)', async () => {
  const info = await printer.info();
  assert.equal(info.id, 'seeded-printer-id');
  assert.deepEqual(info.api, ['/privet/accesstoken', '/privet/capabilities', '/privet/printer/createjob', '/privet/printer/submitdoc', '/privet/printer/jobstate']);
  assert.equal((await printer.call('/privet/register?action=start&user=a@b.c', { method: 'POST' })).status, 404);
});

test('§4.5 capabilities: PWG raster always; no */* while offline', async () => {
  const caps = (await printer.call('/privet/capabilities')).json as { printer: { supported_content_type: Array<{ content_type: string }> } };
  const types = caps.printer.supported_content_type.map((t) => t.content_type);
  assert.ok(types.includes('image/pwg-raster'));
  assert.ok(!types.includes('*/*'));
  const offline = (await printer.call('/privet/capabilities?offline=1')).json as typeof caps;
  assert.ok(offline.printer.supported_content_type.some((t) => t.content_type === 'image/pwg-raster'));
});

test('§4.4 accesstoken: invalid_params without user; offline when the cloud is unreachable', async () => {
  assert.equal((await printer.call('/privet/accesstoken')).json.error, 'invalid_params');
  assert.equal((await printer.call('/privet/accesstoken?user=')).json.error, 'invalid_params');
  assert.equal((await printer.call('/privet/accesstoken?user=bob@example.com')).json.error, 'offline');
});

test('§5 simple printing: submitdoc without job_id prints; job_id string, job_size number; output + sidecar on disk', async () => {
  const reply = await submit(pdf, '?job_name=Simple&user_name=bob@example.com&client_name=test');
  assert.equal(reply.status, 200);
  assert.equal(typeof reply.json.job_id, 'string');
  assert.equal(reply.json.job_size, pdf.length);
  assert.equal(reply.json.job_type, 'application/pdf');
  assert.equal(reply.json.job_name, 'Simple');
  const id = String(reply.json.job_id);
  assert.deepEqual(readFileSync(join(printer.outputDir, `${id}.pdf`)), pdf);
  const sidecar = JSON.parse(readFileSync(join(printer.outputDir, `${id}.json`), 'utf8'));
  assert.equal(sidecar.state.type, 'DONE');
  assert.equal(sidecar.job_name, 'Simple');
  assert.equal(sidecar.user, 'bob@example.com');
  assert.equal(sidecar.pages_printed, 2);
  const state = (await printer.call(`/privet/printer/jobstate?job_id=${id}`)).json;
  assert.equal(state.state, 'done');
  assert.equal((state.semantic_state as { pages_printed: number }).pages_printed, 2);
});

test('§5 advanced printing: createjob → draft → submitdoc → done; a PWG raster from Ghostscript validates', async () => {
  const created = (await printer.call('/privet/printer/createjob', { method: 'POST', body: JSON.stringify({ version: '1.0', print: { copies: { copies: 2 } } }), headers: { 'Content-Type': 'application/json' } })).json;
  assert.equal(typeof created.job_id, 'string');
  assert.ok(Number(created.expires_in) > 0);
  assert.equal((await printer.call(`/privet/printer/jobstate?job_id=${created.job_id}`)).json.state, 'draft');
  const pwg = makePwg(pdf);
  const reply = await submit(pwg, `?job_id=${created.job_id}&job_name=Raster`, 'image/pwg-raster');
  assert.equal(reply.json.job_id, created.job_id);
  assert.equal(reply.json.job_size, pwg.length);
  const sidecar = JSON.parse(readFileSync(join(printer.outputDir, `${created.job_id}.json`), 'utf8'));
  assert.deepEqual(sidecar.ticket, { version: '1.0', print: { copies: { copies: 2 } } });
  assert.equal(sidecar.pages_printed, 2);
  // A job is printed once; resubmitting its id is invalid_print_job.
  assert.equal((await submit(pdf, `?job_id=${created.job_id}`)).json.error, 'invalid_print_job');
});

test('§5.1 createjob with a broken ticket is invalid_ticket', async () => {
  assert.equal((await printer.call('/privet/printer/createjob', { method: 'POST', body: '{"version":' })).json.error, 'invalid_ticket');
});

test('§5.1 createjob with a ticket nested 400,000 deep is invalid_ticket, refused before it is parsed', async () => {
  const deep = `{"version":"1.0","print":{"x":${'['.repeat(400_000)}${']'.repeat(400_000)}}}`;
  const created = (await printer.call('/privet/printer/createjob', { method: 'POST', body: deep })).json;
  assert.deepEqual([created.error, created.description], ['invalid_ticket', 'the ticket is not valid CJT JSON: JSON nested deeper than 16 levels']);
});

test('§5.2 invalid_document_type keeps the job, so the client can resend in another format', async () => {
  const { job_id } = (await printer.call('/privet/printer/createjob', { method: 'POST', body: '{}' })).json;
  assert.equal((await submit(Buffer.from('hello'), `?job_id=${job_id}`, 'text/plain')).json.error, 'invalid_document_type');
  assert.equal((await submit(Buffer.from('hello'), `?job_id=${job_id}`, '')).json.error, 'invalid_document_type');
  assert.equal((await submit(pdf, `?job_id=${job_id}`)).json.job_id, job_id);
});

test('§5.2 invalid_document: a truncated PDF, a PDF without xref, a broken PWG raster', async () => {
  const truncated = pdf.subarray(0, pdf.length - 40);
  const first = await submit(truncated);
  assert.equal(first.json.error, 'invalid_document');
  assert.equal((await submit(Buffer.from('%PDF-1.4\nnothing\nstartxref\n5\n%%EOF\n'))).json.error, 'invalid_document');
  assert.equal((await submit(Buffer.from('not a pdf at all'))).json.error, 'invalid_document');
  const pwg = makePwg(pdf);
  assert.equal((await submit(pwg.subarray(0, pwg.length - 10), '', 'image/pwg-raster')).json.error, 'invalid_document');
  const badHeader = Buffer.from(pwg);
  badHeader.write('Junk', 4, 'latin1');
  assert.equal((await submit(badHeader, '', 'image/pwg-raster')).json.error, 'invalid_document');
  // Nothing of a refused document stays in the output directory.
  assert.ok(readdirSync(printer.outputDir).every((f) => !f.endsWith('.part')));
});

test('§5.2 document_too_large is decided from Content-Length before reading the body', async () => {
  const { reply, req } = slowUpload(printer.privet + '/privet/printer/submitdoc', { 'X-Privet-Token': await printer.token(), 'Content-Type': 'application/pdf' }, Buffer.from('%PDF-1.4\n'), 10 << 20);
  const answer = await reply;
  req.destroy();
  assert.equal(answer.json.error, 'document_too_large');
});

test('GCP §e: submitdoc without Content-Length (chunked) is invalid_params', async () => {
  const token = await printer.token();
  const answer = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const req = request(printer.privet + '/privet/printer/submitdoc', { method: 'POST', headers: { 'X-Privet-Token': token, 'Content-Type': 'application/pdf', 'Transfer-Encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d)).on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end(pdf);
  });
  assert.equal(answer.error, 'invalid_params');
});

test('§5.2 while a document uploads: info and jobstate answer, another submitdoc is printer_busy, the panel can cancel (user_cancel)', async () => {
  const token = await printer.token();
  const { job_id } = (await printer.call('/privet/printer/createjob', { method: 'POST', body: '{}' })).json;
  const upload = slowUpload(`${printer.privet}/privet/printer/submitdoc?job_id=${job_id}`, { 'X-Privet-Token': token, 'Content-Type': 'application/pdf' }, pdf.subarray(0, 100), pdf.length);
  await waitFor('job in progress', async () => (await printer.call(`/privet/printer/jobstate?job_id=${job_id}`)).json.state === 'in_progress');
  assert.equal((await printer.info()).device_state, 'processing');
  const busy = await submit(pdf);
  assert.equal(busy.json.error, 'printer_busy');
  assert.ok(Number(busy.json.timeout) > 0);
  await printer.panelPost('/panel/cancel');
  const answer = await upload.reply;
  upload.req.destroy();
  assert.equal(answer.json.error, 'user_cancel');
  const state = (await printer.call(`/privet/printer/jobstate?job_id=${job_id}`)).json;
  assert.equal(state.state, 'aborted');
  assert.deepEqual((state.semantic_state as { state: unknown }).state, { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } });
});

test('panel: paper out stops a printing job (STOPPED, INPUT_TRAY) and holds the upload; loading paper finishes it', async () => {
  const token = await printer.token();
  const { job_id } = (await printer.call('/privet/printer/createjob', { method: 'POST', body: '{}' })).json;
  const upload = slowUpload(`${printer.privet}/privet/printer/submitdoc?job_id=${job_id}`, { 'X-Privet-Token': token, 'Content-Type': 'application/pdf' }, pdf.subarray(0, 100), pdf.length);
  await waitFor('job in progress', async () => (await printer.call(`/privet/printer/jobstate?job_id=${job_id}`)).json.state === 'in_progress');
  await printer.panelPost('/panel/state', { paper: 'empty' });
  const stopped = (await printer.call(`/privet/printer/jobstate?job_id=${job_id}`)).json;
  assert.equal(stopped.state, 'stopped');
  assert.equal(stopped.description, 'Input tray is empty');
  assert.deepEqual((stopped.semantic_state as { state: unknown }).state, { type: 'STOPPED', device_state_cause: { error_code: 'INPUT_TRAY' } });
  const info = await printer.info();
  assert.equal(info.device_state, 'stopped');
  assert.equal((info.semantic_state as { printer: { state: string } }).printer.state, 'STOPPED');
  // A stopped printer refuses new work with printer_error and a description.
  const refused = await printer.call('/privet/printer/createjob', { method: 'POST', body: '{}' });
  assert.deepEqual([refused.json.error, refused.json.description], ['printer_error', 'Input tray is empty']);
  upload.req.end(pdf.subarray(100));
  await printer.panelPost('/panel/state', { paper: 'ok' });
  const answer = await upload.reply;
  assert.equal(answer.json.job_id, job_id);
  assert.equal((await printer.call(`/privet/printer/jobstate?job_id=${job_id}`)).json.state, 'done');
});

test('§5 queue: the oldest non-printing job is evicted beyond 5 pending; expired ids are invalid_print_job', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push(String((await printer.call('/privet/printer/createjob', { method: 'POST', body: '{}' })).json.job_id));
  const evicted = await printer.call(`/privet/printer/jobstate?job_id=${ids[0]}`);
  assert.equal(evicted.json.error, 'invalid_print_job');
  assert.equal(evicted.json.timeout, 5);
  for (const id of ids.slice(1)) assert.equal((await printer.call(`/privet/printer/jobstate?job_id=${id}`)).json.state, 'draft');
  assert.equal((await submit(pdf, `?job_id=${ids[0]}`)).json.error, 'invalid_print_job');
  // --job-lifetime 3: after it, pending ids are gone too.
  await new Promise((r) => setTimeout(r, 3200));
  assert.equal((await submit(pdf, `?job_id=${ids[5]}`)).json.error, 'invalid_print_job');
});

test('job ids are 128 random bits (base64url), so a neighbour\'s id cannot be guessed; a guess is invalid_print_job', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(String((await printer.call('/privet/printer/createjob', { method: 'POST', body: '{}' })).json.job_id));
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(new Set(ids).size, ids.length);
  // Consecutive ids share no structure: about half of their 128 bits differ (a counter or a clock changes a few).
  for (let i = 1; i < ids.length; i++) {
    const [a, b] = [Buffer.from(ids[i - 1]!, 'base64url'), Buffer.from(ids[i]!, 'base64url')];
    let differing = 0;
    for (let byte = 0; byte < 16; byte++) for (let x = a[byte]! ^ b[byte]!; x; x &= x - 1) differing++;
    assert.ok(differing > 32, `ids ${ids[i - 1]} and ${ids[i]} differ in only ${differing} bits`);
  }
  // What a neighbour would try: the next id of a sequence, or one character off.
  const last = ids.at(-1)!;
  const guesses = [(parseInt(last, 36) + 1).toString(36), last.slice(0, -1) + (last.endsWith('A') ? 'B' : 'A')];
  for (const guess of guesses) {
    const reply = (await printer.call(`/privet/printer/jobstate?job_id=${encodeURIComponent(guess)}`)).json;
    assert.equal(reply.error, 'invalid_print_job', guess);
  }
});

test('finished job states survive a restart (kill -9), and the token secret changes', async () => {
  const dataDir = tempDir();
  seedRegistration(dataDir);
  let own = await startPrinter({ dataDir, args: ['--no-mdns', '--job-lifetime', '120'] });
  try {
    const done = String((await own.call('/privet/printer/submitdoc?job_name=Persist', { method: 'POST', body: pdf, headers: { 'Content-Type': 'application/pdf' } })).json.job_id);
    const oldToken = await own.token();
    await own.stop('SIGKILL');
    own = await startPrinter({ dataDir, args: ['--no-mdns', '--job-lifetime', '120'] });
    const state = (await own.call(`/privet/printer/jobstate?job_id=${done}`)).json;
    assert.equal(state.state, 'done');
    assert.equal(state.job_name, 'Persist');
    assert.equal((await own.call('/privet/capabilities', { token: oldToken })).json.error, 'invalid_x_privet_token');
  } finally {
    await own.stop();
    own.cleanup();
  }
});

test('panel: a web page cannot press the buttons (no JSON body: 415; a foreign Host: 403)', async () => {
  const { request } = await import('node:http');
  const send = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${printer.panel}/panel/confirm`, { method: 'POST', headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('{}');
    });
  // What a cross-site form or no-cors fetch can send without a preflight.
  assert.equal(await send({ 'content-type': 'text/plain' }), 415);
  // DNS rebinding: the browser sends the attacker's name as Host.
  assert.equal(await send({ 'content-type': 'application/json', host: 'printer.attacker.example' }), 403);
  assert.equal(await send({ 'content-type': 'application/json' }), 200);
});
