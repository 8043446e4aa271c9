// The console's script bundle: src/web/console/app/*.js (Preact + htm)
// bundled by esbuild into build/console/app.js. `npm install` builds it (the
// `prepare` script, scripts/build-console.ts); the server builds it again at
// start when it is missing or older than its sources, so a checkout that
// skipped the install script still serves a current console. No CDN: the
// bundle is served from this server only.
import { buildSync } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCES = fileURLToPath(new URL('./console/app/', import.meta.url));
const ENTRY = `${SOURCES}main.js`;
/** Where the bundle is written (gitignored). */
export const CONSOLE_BUNDLE = fileURLToPath(new URL('../../build/console/app.js', import.meta.url));

function newestSource(): number {
  return Math.max(...readdirSync(SOURCES).map((name) => statSync(`${SOURCES}${name}`).mtimeMs));
}

/** Writes the bundle through a temporary file and a rename: servers starting together never read half of one. */
export function buildConsoleBundle(): void {
  const result = buildSync({ entryPoints: [ENTRY], bundle: true, format: 'esm', target: 'es2022', minify: true, sourcemap: false, write: false, outfile: CONSOLE_BUNDLE, logLevel: 'error' });
  mkdirSync(dirname(CONSOLE_BUNDLE), { recursive: true });
  const temporary = `${CONSOLE_BUNDLE}.${process.pid}.tmp`;
  writeFileSync(temporary, result.outputFiles[0]!.contents);
  renameSync(temporary, CONSOLE_BUNDLE);
}

/**
 * Builds the bundle unless an up-to-date one is there; returns its path. An
 * install whose tree cannot be written keeps serving the bundle it has.
 */
export function ensureConsoleBundle(): string {
  const present = existsSync(CONSOLE_BUNDLE);
  if (present && statSync(CONSOLE_BUNDLE).mtimeMs >= newestSource()) return CONSOLE_BUNDLE;
  try {
    buildConsoleBundle();
  } catch (error) {
    if (!present) throw new Error(`the web console's bundle is missing and could not be built (npm run build:console): ${(error as Error).message}`);
  }
  return CONSOLE_BUNDLE;
}
