// docs/deployment.md shows the HAProxy configuration the cluster tests
// generate (test/helpers/cluster.ts), with the standard ports and three nodes
// on 10.0.0.11–13, and HAProxy accepts it (`haproxy -c`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { haproxyConfig } from '../helpers/cluster.ts';
import { tempDir } from '../helpers/server.ts';

const DOC = new URL('../../docs/deployment.md', import.meta.url);

function documentedConfig(): string {
  const block = /```haproxy\n([\s\S]*?)```/.exec(readFileSync(DOC, 'utf8'));
  assert.ok(block, 'docs/deployment.md has a ```haproxy block');
  return block[1]!;
}

test('docs/deployment.md shows the configuration the cluster tests use', () => {
  const ports = { http: 8080, xmpp: 5222, xmpps: 5223, ccs: 5235, ipps: 631 };
  const nodes = [1, 2, 3].map((i) => ({ name: `node${i}`, address: `10.0.0.${10 + i}`, ports }));
  assert.equal(documentedConfig(), haproxyConfig({ bind: '', ports: { ...ports, stats: 8404 }, adminSocket: '/run/haproxy/admin.sock', nodes }));
});

test('haproxy accepts the documented configuration', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, documentedConfig());
    const { stdout } = await promisify(execFile)('haproxy', ['-c', '-f', file]);
    assert.match(stdout, /Configuration file is valid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
