// docs/cli.md lists every `ocp` command: one added without a line there fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const OCP = new URL('../../bin/ocp', import.meta.url).pathname;
const page = readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8');

test('docs/cli.md names every command `ocp --help` lists', async () => {
  const { stdout } = await promisify(execFile)(OCP, ['--help']);
  const commands = [...stdout.split('Commands:')[1]!.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]!).filter((name) => name !== 'help');
  assert.ok(commands.length > 10, stdout);
  for (const command of commands) assert.match(page, new RegExp(`\`${command}\\b`), `docs/cli.md lacks ${command}`);
});
