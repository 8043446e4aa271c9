// The X-Privet-Token (Privet §6.2.2), the pure rules of src/privet/xsrf.ts:
// the recommended construction, a 24-hour validity window, and a device
// secret that changes on every start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN_VALIDITY_SECONDS, XsrfTokens } from '../../src/privet/xsrf.ts';

const ISSUED = 1_700_000_000;

test('§6.2.2: a token is base64(base64(SHA1(secret ":" counter)) ":" counter) with the issue time as counter', () => {
  const token = new XsrfTokens(() => ISSUED).issue();
  const decoded = Buffer.from(token, 'base64').toString('latin1');
  // A SHA-1 digest is 20 bytes: 28 base64 characters with one "=".
  assert.match(decoded, /^[A-Za-z0-9+/]{27}=:1700000000$/);
});

test('§6.2.2: a token is valid from its issue to 24 hours later, and not before or after', () => {
  assert.equal(TOKEN_VALIDITY_SECONDS, 24 * 3600);
  let now = ISSUED;
  const tokens = new XsrfTokens(() => now);
  const token = tokens.issue();
  const ages: Array<[seconds: number, valid: boolean]> = [
    [0, true],
    [60, true],
    [3600, true],
    [23 * 3600, true],
    [24 * 3600, true],
    [24 * 3600 + 1, false],
    [30 * 24 * 3600, false],
    // Issued "in the future": the counter only ever increases while the device runs.
    [-1, false],
    [-60, false],
  ];
  for (const [seconds, valid] of ages) {
    now = ISSUED + seconds;
    assert.equal(tokens.isValid(token), valid, `${seconds} s after issue`);
  }
});

test('§6.2.2: a token from before a restart, a forged counter or anything else is invalid', () => {
  const tokens = new XsrfTokens(() => ISSUED);
  const token = tokens.issue();
  const [digest] = Buffer.from(token, 'base64').toString('latin1').split(':');
  const encode = (text: string) => Buffer.from(text, 'latin1').toString('base64');
  const invalid: Array<[token: string | undefined, why: string]> = [
    [undefined, 'no header'],
    ['', 'the empty token /privet/info accepts'],
    ['!!!not base64!!!', 'not base64'],
    [encode(digest!), 'no counter'],
    [encode(`${digest}:${ISSUED - 10}`), 'another counter with the same digest'],
    [encode(`${digest}:1e9`), 'a counter that is not digits'],
    [encode(`${digest}:${'9'.repeat(16)}`), 'a counter of 16 digits'],
    [encode(`${'A'.repeat(27)}=:${ISSUED}`), 'a digest of another secret'],
  ];
  for (const [candidate, why] of invalid) assert.equal(tokens.isValid(candidate), false, why);
  assert.equal(tokens.isValid(token), true);
  // "Device secret MUST be updated on every restart": a new instance is a new start.
  assert.equal(new XsrfTokens(() => ISSUED).isValid(token), false, 'a restart makes a new secret');
});
