import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Accounts, AuthError } from '../../src/auth/accounts.ts';
import { describeEachDialect } from '../helpers/dialects.ts';

describeEachDialect('accounts and tokens', (store) => {
  let clock = 1_000_000;
  const accounts = () => new Accounts(store.current.db, { accessTokenTtlSeconds: 60, now: () => clock });

  test('a user signs in with the right password only, and the hash is not the password', async () => {
    const created = await accounts().createUser('Ann@Example.com', 'correct horse');
    assert.equal(created.email, 'ann@example.com');
    assert.match(created.password_hash ?? '', /^scrypt\$/);
    assert.ok(!created.password_hash?.includes('correct horse'));
    assert.equal((await accounts().checkPassword('ann@example.com', 'correct horse'))?.id, created.id);
    assert.equal(await accounts().checkPassword('ann@example.com', 'wrong horse'), undefined);
    await assert.rejects(accounts().createUser('ann@example.com', 'another pass'), AuthError);
    await assert.rejects(accounts().createUser('not-an-email', 'another pass'), /not an email/);
    await assert.rejects(accounts().createUser('short@example.com', 'short'), /8 characters/);
  });

  test('access tokens expire; API tokens do not', async () => {
    const user = await accounts().createUser('bob@example.com', 'password1');
    const grant = await accounts().issueGrant(user.id, null);
    const api = await accounts().issueApiToken(user.id);
    assert.equal((await accounts().authenticate(grant.access_token))?.id, user.id);
    clock += 61_000;
    assert.equal(await accounts().authenticate(grant.access_token), undefined);
    assert.equal((await accounts().authenticate(api))?.id, user.id);
    // A refresh token is not a bearer credential for the API.
    assert.equal(await accounts().authenticate(grant.refresh_token), undefined);
  });

  test('an authorization code works exactly once', async () => {
    const robot = await accounts().createRobot();
    const code = await accounts().issueAuthCode(robot.id, 'printer-client');
    const grant = await accounts().exchangeCode(code, 'printer-client');
    assert.equal((await accounts().authenticate(grant.access_token))?.kind, 'robot');
    await assert.rejects(accounts().exchangeCode(code, 'printer-client'), /invalid, expired or already used/);
  });

  test('refresh tokens rotate, and revoking one revokes its family', async () => {
    const user = await accounts().createUser('cat@example.com', 'password1');
    const first = await accounts().issueGrant(user.id, null);
    const second = await accounts().refresh(first.refresh_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    await assert.rejects(accounts().refresh(first.refresh_token), /invalid or revoked/);
    const third = await accounts().refresh(second.refresh_token);
    await accounts().revoke(third.refresh_token);
    await assert.rejects(accounts().refresh(third.refresh_token), /invalid or revoked/);
  });
});
