// The import graph of src/ (issue 15, "Done means"): no import cycle between
// files or folders, no import from a device-side folder (privet, connector,
// client) into a server-side one, nor from the CCS SDKs into the CCS service.
// The rules are the table in .dependency-cruiser.cjs; `npm run imports`
// prints the same report by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = fileURLToPath(new URL('fixture', import.meta.url));

/** Every rule violation under `baseDir`/src, one line each: `rule: a → b`, or `rule: a → b → a` for a cycle (a file cycle once, a folder cycle once per folder in it). */
async function violations(baseDir: string): Promise<string[]> {
  const options = await extractDepcruiseOptions(`${root}.dependency-cruiser.cjs`);
  const tsConfigFile = `${root}tsconfig.json`;
  // Absolute paths, so the check runs from any working directory.
  const { output } = await cruise(['src'], { ...options, baseDir, tsConfig: { fileName: tsConfigFile } }, {}, { tsConfig: extractTSConfig(tsConfigFile) });
  const summary = (output as ICruiseResult).summary;
  return summary.violations
    .map(({ rule, from, to, cycle }) => `${rule.name}: ${[from, ...(cycle ? cycle.map((step) => step.name) : [to])].join(' → ')}`)
    .sort();
}

test('the rules catch a file cycle, a folder cycle, a device-side or SDK import of the server, and allow a folder to import its subfolder', async () => {
  assert.deepEqual(await violations(fixture), [
    'device-imports-server: src/privet/jobs.ts → src/cloud/jobs.ts',
    'no-file-cycle: src/cloud/jobs.ts → src/cloud/printers.ts → src/cloud/jobs.ts',
    'no-folder-cycle: src/server → src/web → src/server',
    'no-folder-cycle: src/web → src/server → src/web',
    'sdk-imports-server: src/ccs/sdk/device.ts → src/ccs/service/hub.ts',
  ]);
});

test('src/ has no import cycle and no device-side or SDK import of the server', async () => {
  assert.deepEqual(await violations(root), []);
});
