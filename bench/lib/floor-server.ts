// The least a Node.js server can do for rest-jobs' print job, a reference
// point for bench/rest-floor.ts and not a product path: node:http, busboy,
// better-sqlite3 (WAL) and the document written on the thread pool through a
// temporary file, as the real server does, but one table per kind, no
// sharing, tickets, counts, notifications or envelope beyond what the client
// reads. With OCP_FLOOR_PROCESSES above 1 the HTTP port is shared by that
// many node:cluster workers, each with its own SQLite connection.
//
// Run as a child with an IPC channel and OCP_FLOOR_DIR, OCP_FLOOR_PROCESSES
// and OCP_FLOOR_CLIENTS (JSON: userToken, printers[{id, robotToken}]) set; it
// sends {port} when every worker listens.
import cluster from 'node:cluster';
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Busboy, type BusboyHeaders } from '@fastify/busboy';
import SQLite from 'better-sqlite3';

export interface FloorClients {
  userToken: string;
  printers: Array<{ id: string; robotToken: string }>;
}

const dataDir = process.env.OCP_FLOOR_DIR!;
const processes = Number(process.env.OCP_FLOOR_PROCESSES ?? 1);
const documentsDir = join(dataDir, 'documents');
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

function openDatabase(): SQLite.Database {
  const db = new SQLite(join(dataDir, 'floor.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}

function createSchema(clients: FloorClients): void {
  mkdirSync(documentsDir, { recursive: true });
  const db = openDatabase();
  db.exec(`
    create table tokens (hash text primary key, account text not null);
    create table printers (id text primary key, owner text not null);
    create table jobs (id text primary key, printer_id text not null, owner text not null, title text not null, state text not null,
      content_type text not null, ticket text not null, created_at integer not null, updated_at integer not null);
    create index jobs_by_printer_state on jobs (printer_id, state, created_at);
    create index jobs_by_owner on jobs (owner, created_at);`);
  const addToken = db.prepare('insert into tokens values (?, ?)');
  addToken.run(hashToken(clients.userToken), 'owner');
  for (const printer of clients.printers) {
    addToken.run(hashToken(printer.robotToken), `robot:${printer.id}`);
    db.prepare('insert into printers values (?, ?)').run(printer.id, 'owner');
  }
  db.close();
}

function serve(): Promise<number> {
  const db = openDatabase();
  const accountOf = db.prepare('select account from tokens where hash = ?').pluck();
  const printerOwner = db.prepare('select owner from printers where id = ?').pluck();
  const insertJob = db.prepare('insert into jobs values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const queuedJobs = db.prepare("select id, title, content_type, created_at from jobs where printer_id = ? and state = 'QUEUED' order by created_at limit 100");
  const jobPrinter = db.prepare('select printer_id from jobs where id = ?').pluck();
  const setJobState = db.prepare('update jobs set state = ?, updated_at = ? where id = ?');

  const reply = (res: ServerResponse, body: object) => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const readForm = async (req: IncomingMessage) => {
    let text = '';
    req.setEncoding('utf8');
    for await (const chunk of req) text += chunk;
    return new URLSearchParams(text);
  };

  async function submit(req: IncomingMessage, res: ServerResponse, account: string): Promise<void> {
    const fields: Record<string, string> = {};
    const id = randomUUID();
    let stored: Promise<void> | undefined;
    await new Promise<void>((resolve, reject) => {
      const form = new Busboy({ headers: req.headers as BusboyHeaders });
      form.on('field', (name: string, value: string) => (fields[name] = value));
      form.on('file', (_name: string, file: NodeJS.ReadableStream) => {
        const chunks: Buffer[] = [];
        file.on('data', (chunk: Buffer) => chunks.push(chunk));
        file.on('end', () => (stored = storeDocument(id, Buffer.concat(chunks))));
      });
      form.once('finish', resolve);
      form.once('error', reject);
      req.pipe(form);
    });
    await stored;
    if (printerOwner.get(fields.printerid) !== account) return reply(res, { success: false, message: 'no such printer' });
    const now = Date.now();
    insertJob.run(id, fields.printerid, account, fields.title ?? '', 'QUEUED', fields.contentType ?? '', fields.ticket ?? '{}', now, now);
    reply(res, { success: true, job: { id, printerid: fields.printerid, title: fields.title, status: 'QUEUED', createTime: String(now) } });
  }

  async function fetch(req: IncomingMessage, res: ServerResponse, account: string): Promise<void> {
    const printerId = (await readForm(req)).get('printerid') ?? '';
    if (account !== `robot:${printerId}`) return reply(res, { success: false, message: 'not this printer' });
    const jobs = (queuedJobs.all(printerId) as Array<{ id: string; title: string; content_type: string; created_at: number }>).map((job) => ({
      id: job.id,
      title: job.title,
      contentType: job.content_type,
      status: 'QUEUED',
      createTime: String(job.created_at),
      fileUrl: `/download?id=${job.id}`,
      ticketUrl: `/ticket?jobid=${job.id}`,
    }));
    reply(res, { success: true, jobs });
  }

  async function control(req: IncomingMessage, res: ServerResponse, account: string): Promise<void> {
    const form = await readForm(req);
    const jobId = form.get('jobid') ?? '';
    const diff = JSON.parse(form.get('semantic_state_diff') ?? '{}') as { state?: { type?: string } };
    if (account !== `robot:${String(jobPrinter.get(jobId))}`) return reply(res, { success: false, message: 'not this printer' });
    setJobState.run(diff.state?.type ?? 'DONE', Date.now(), jobId);
    reply(res, { success: true });
  }

  const routes: Record<string, typeof submit> = { '/cloudprint/submit': submit, '/cloudprint/fetch': fetch, '/cloudprint/control': control };
  const server = createServer((req, res) => {
    const account = accountOf.get(hashToken(req.headers.authorization?.replace(/^Bearer /, '') ?? '')) as string | undefined;
    const route = routes[req.url ?? ''];
    if (!account || !route) return reply(res, { success: false, message: 'forbidden' });
    route(req, res, account).catch((error: Error) => reply(res, { success: false, message: error.message }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function storeDocument(id: string, content: Buffer): Promise<void> {
  const temporary = join(documentsDir, `${id}.tmp`);
  const file = await open(temporary, 'w');
  await file.write(content);
  await file.close();
  await rename(temporary, join(documentsDir, id));
}

if (cluster.isPrimary) {
  createSchema(JSON.parse(process.env.OCP_FLOOR_CLIENTS!) as FloorClients);
  if (processes === 1) {
    process.send!({ port: await serve() });
  } else {
    // In a cluster every worker's listen(0) gets the same port.
    const ports = await Promise.all(Array.from({ length: processes }, () => new Promise<number>((resolve) => cluster.fork().once('message', resolve))));
    process.send!({ port: ports[0] });
  }
} else {
  process.send!(await serve());
}
