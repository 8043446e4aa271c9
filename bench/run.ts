// `npm run bench -- NAME [args]`: runs bench/NAME.ts. Each benchmark prints
// its figures as the last line of its output, one JSON object.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const name = process.argv[2];
const available = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_')).map((f) => f.slice(0, -3));
if (!name || !existsSync(join(here, `${name}.ts`)) || name === 'run') {
  console.error(`usage: npm run bench -- NAME\navailable: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
process.argv.splice(2, 1);
await import(pathToFileURL(join(here, `${name}.ts`)).href);
