// docs/api.md documents every route of the /cloudprint table and every
// parameter each route declares.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cloudRoutes } from '../../src/cloud/index.ts';
import type { CloudService } from '../../src/cloud/service.ts';
import { defaultServerConfig } from '../../src/config.ts';

const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');

test('docs/api.md has a section for every route, naming each of its parameters', () => {
  const routes = cloudRoutes({ config: defaultServerConfig({}) } as CloudService);
  assert.ok(routes.length >= 19);
  for (const route of routes) {
    const start = doc.indexOf(`\n### ${route.path}\n`);
    assert.ok(start >= 0, `docs/api.md has no section "### ${route.path}"`);
    const end = doc.indexOf('\n### ', start + 1);
    const section = doc.slice(start, end < 0 ? undefined : end);
    assert.ok(section.includes(`/cloudprint/${route.path}`), `the ${route.path} section shows its URL`);
    for (const name of Object.keys(route.params).flatMap((key) => key.split(', '))) {
      assert.ok(section.includes(`\`${name}\``), `the ${route.path} section names parameter ${name}`);
    }
  }
});
