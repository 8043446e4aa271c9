// `npm run docs`: regenerates the generated parts of docs/.
import { readFileSync, writeFileSync } from 'node:fs';
import { withCurrentTables } from '../src/config-doc.ts';

const file = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(file, withCurrentTables(readFileSync(file, 'utf8')));
