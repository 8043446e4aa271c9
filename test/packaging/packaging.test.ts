// The packaging files: the systemd unit passes systemd-analyze verify, the
// LICENSE matches package.json, and `ocp --version` prints package.json's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/server.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; license: string };
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

test(
  'the systemd unit passes systemd-analyze verify with no warning',
  { skip: hasSystemdAnalyze ? false : 'systemd-analyze is not installed (Debian package systemd; scripts/install-system-deps.sh installs it)' },
  async () => {
    const unit = readFileSync(join(root, 'packaging/systemd/opencloudprint.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/usr\/bin\/node \/opt\/opencloudprint\/bin\/ocp server$/m);
    // verify checks that ExecStart's program exists: point it at this machine's node and checkout.
    const dir = tempDir();
    try {
      const file = join(dir, 'opencloudprint.service');
      writeFileSync(file, unit.replace('ExecStart=/usr/bin/node /opt/opencloudprint/bin/ocp', `ExecStart=${process.execPath} ${join(root, 'bin/ocp')}`));
      const { stderr } = await run('systemd-analyze', ['verify', file]);
      assert.equal(stderr, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('LICENSE is the license package.json names, and ocp --version prints its version', async () => {
  assert.equal(pkg.license, 'Apache-2.0');
  assert.match(readFileSync(join(root, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0, January 2004/);
  const { stdout } = await run(join(root, 'bin/ocp'), ['--version']);
  assert.equal(stdout.trim(), pkg.version);
});

test('the Dockerfile runs as a non-root user, keeps data in a volume and checks /readyz', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  assert.equal((dockerfile.match(/^FROM /gm) ?? []).length, 2, 'two stages');
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^VOLUME \["\/var\/lib\/ocp"\]$/m);
  assert.match(dockerfile, /OCP_DATA=\/var\/lib\/ocp/);
  assert.match(dockerfile, /^HEALTHCHECK .*\n\s+CMD .*\/readyz/m);
});
