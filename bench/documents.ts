// `npm run bench -- documents [ROUNDS]`: submit (multipart /cloudprint/submit)
// and download (/cloudprint/download) of a 1 MiB and a 20 MiB document
// through a real server on PostgreSQL, with --documents directory and
// --documents database in alternation, ROUNDS (default 3) rounds of five
// timed repetitions after one untimed; prints each backend's medians.
import { loadavg } from 'node:os';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { cloudApi, createUser, registerAndClaim, submitJob } from '../test/helpers/cloud.ts';
import { percentile, round } from './lib/stats.ts';

const rounds = Number(process.argv[2] ?? 3);
const SIZES_MIB = [1, 20];
const BACKENDS = ['directory', 'database'] as const;
type Figures = Record<string, { submitMs: number[]; downloadMs: number[] }>;
const figures: Figures = {};

async function measure(documents: (typeof BACKENDS)[number]): Promise<void> {
  const database = await createTestDatabase();
  const server = await startTestServer({ database: database.url, documents, maxDocumentSize: 64 * 1024 * 1024 });
  try {
    const owner = await createUser(server);
    const printer = await registerAndClaim(server, owner);
    for (const mib of SIZES_MIB) {
      const content = new Uint8Array(mib * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24);
      const entry = (figures[`${documents} ${mib} MiB`] ??= { submitMs: [], downloadMs: [] });
      for (let repetition = 0; repetition < 6; repetition++) {
        let started = performance.now();
        const { body } = await submitJob(server, owner.token, printer.printerId, { content });
        const submitted = performance.now() - started;
        started = performance.now();
        const response = await fetch(body.job.fileUrl, { headers: { authorization: `Bearer ${printer.accessToken}` } });
        const length = (await response.arrayBuffer()).byteLength;
        const downloaded = performance.now() - started;
        if (length !== content.length) throw new Error(`downloaded ${length} of ${content.length} bytes`);
        if (repetition > 0) {
          entry.submitMs.push(submitted);
          entry.downloadMs.push(downloaded);
        }
        await cloudApi(server, 'deletejob', { jobid: body.job.id }, { token: owner.token });
      }
    }
  } finally {
    await server.stop();
    await database.drop();
  }
}

const load = [loadavg()[0]!];
for (let pass = 0; pass < rounds; pass++) for (const backend of pass % 2 ? [...BACKENDS].reverse() : BACKENDS) await measure(backend);
load.push(loadavg()[0]!);
const medians = Object.fromEntries(Object.entries(figures).map(([name, { submitMs, downloadMs }]) => [name, { submitMs: round(percentile(submitMs, 50), 1), downloadMs: round(percentile(downloadMs, 50), 1) }]));
for (const [name, { submitMs, downloadMs }] of Object.entries(medians)) console.log(`${name}: submit ${submitMs} ms, download ${downloadMs} ms`);
console.log(JSON.stringify({ benchmark: 'documents', rounds, loadAverage: load.map((value) => round(value, 1)), medians }));
