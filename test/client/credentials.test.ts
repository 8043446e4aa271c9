import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCredentials, saveCredentials, sharedLogin, withCredentialsLock } from '../../src/client/credentials.ts';
import { tempDir } from '../helpers/server.ts';

process.env.OCP_CREDENTIALS = join(tempDir(), 'ocp', 'credentials.json');
const lockFile = () => `${process.env.OCP_CREDENTIALS}.lock`;
const ann = { cloud: 'http://127.0.0.1:1', email: 'ann@example.com', refreshToken: 'ocpr_first' };

test('a shared login reads and saves the token only while the file holds that login', () => {
  saveCredentials(ann);
  const login = sharedLogin(ann);
  login.save('ocpr_second');
  assert.equal(login.latest(), 'ocpr_second');
  saveCredentials({ cloud: ann.cloud, email: 'bob@example.com', refreshToken: 'ocpr_bob' });
  assert.equal(login.latest(), undefined, "another login's token is not this one's");
  login.save('ocpr_third');
  assert.equal(loadCredentials()?.refreshToken, 'ocpr_bob', 'a rotated token does not replace another login');
});

test('holders of the credentials lock take turns, and the lock is gone afterwards', async () => {
  let inside = 0;
  let most = 0;
  await Promise.all(
    [1, 2, 3].map(() =>
      withCredentialsLock(async () => {
        most = Math.max(most, ++inside);
        await new Promise((resolve) => setTimeout(resolve, 30));
        inside--;
      }),
    ),
  );
  assert.equal(most, 1);
  assert.equal(existsSync(lockFile()), false);
});

test('a lock left by a dead command is broken after 120 s, and a holder releases only its own lock', async () => {
  writeFileSync(lockFile(), 'dead command');
  const old = new Date(Date.now() - 121_000);
  utimesSync(lockFile(), old, old);
  await withCredentialsLock(async () => {
    // As if another command had judged this lock stale and taken it over.
    writeFileSync(lockFile(), 'another command');
  });
  assert.equal(readFileSync(lockFile(), 'utf8'), 'another command');
});
