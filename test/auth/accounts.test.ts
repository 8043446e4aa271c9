import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Accounts, AuthError } from '../../src/auth/accounts.ts';
import { hashToken } from '../../src/auth/secrets.ts';
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

  test('wrong passwords sent in parallel meet the backoff of their source; the owner elsewhere is never refused', async () => {
    await accounts().createUser('hal@example.com', 'password1');
    const limited = new Accounts(store.current.db, { accessTokenTtlSeconds: 60, now: () => clock, signIn: { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 60_000, failuresPerSourcePerMinute: 1000 } });
    for (let i = 0; i < 15; i++) assert.ok(await limited.checkPassword('hal@example.com', 'password1', 'right-source'), 'a right password is not counted');
    const outcomes = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => limited.checkPassword('hal@example.com', `guess ${i}`, 'guessing-source')));
    assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 5, 'five free wrong guesses, however sent');
    assert.ok(outcomes.every((outcome) => outcome.status === 'fulfilled' ? outcome.value === undefined : (outcome.reason as AuthError).code === 'temporarily_unavailable'));
    assert.ok(await limited.checkPassword('hal@example.com', 'password1', 'right-source'), "the guesser's failures do not lock the owner out");
    const refused = await limited.checkPassword('hal@example.com', 'password1', 'guessing-source').then(() => undefined, (error: AuthError) => error);
    assert.equal(refused?.retryAfterSeconds, 1, 'the guessing source waits, even with the right password');
    clock += 1000;
    assert.equal(await limited.checkPassword('hal@example.com', 'guess 26', 'guessing-source'), undefined);
    clock += 1000;
    await assert.rejects(limited.checkPassword('hal@example.com', 'guess 27', 'guessing-source'), /try again in 1 s/, 'the wait doubles');
    clock += 1000;
    assert.ok(await limited.checkPassword('hal@example.com', 'password1', 'guessing-source'));
    assert.equal(await limited.checkPassword('hal@example.com', 'typo', 'guessing-source'), undefined, 'a right password forgets the failures');
  });

  test('one source trying many accounts meets its per-minute limit; other sources do not', async () => {
    await accounts().createUser('ida@example.com', 'password1');
    const limited = new Accounts(store.current.db, { accessTokenTtlSeconds: 60, now: () => clock, signIn: { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 60_000, failuresPerSourcePerMinute: 3 } });
    for (let i = 0; i < 3; i++) assert.equal(await limited.checkPassword(`nobody${i}@example.com`, 'guess', 'spraying-source'), undefined);
    await assert.rejects(limited.checkPassword('ida@example.com', 'guess', 'spraying-source'), /too many failed sign-ins/);
    assert.ok(await limited.checkPassword('ida@example.com', 'password1', 'other-source'));
  });

  test('API tokens created at the same moment stop at the account\'s limit, exactly', async () => {
    const user = await accounts().createUser('jan@example.com', 'password1');
    const limit = 5;
    const created = await Promise.all(Array.from({ length: 4 * limit }, (_, i) => accounts().createApiToken(user.id, `t${i}`, limit)));
    assert.equal(created.filter(Boolean).length, limit);
    assert.equal((await accounts().apiTokensOf(user.id)).length, limit);
    assert.equal(await accounts().createApiToken(user.id, 'one more', limit), undefined);
    assert.ok(await accounts().createApiToken(user.id, 'no limit'), 'a limit of 0 is none');
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

  test('a robot\'s refresh token does not rotate: used again and again, and concurrently, until revoked', async () => {
    const robot = await accounts().createRobot();
    const grant = await accounts().exchangeCode(await accounts().issueAuthCode(robot.id, 'printer'), 'printer');
    for (let i = 0; i < 3; i++) {
      clock += 20_000;
      const refreshed = await accounts().refresh(grant.refresh_token, 'printer');
      assert.equal(refreshed.refresh_token, undefined);
      assert.equal((await accounts().authenticate(refreshed.access_token))?.id, robot.id);
    }
    const concurrent = await Promise.all([accounts().refresh(grant.refresh_token), accounts().refresh(grant.refresh_token)]);
    assert.equal(concurrent.length, 2);
    await assert.rejects(accounts().refresh(grant.refresh_token, 'another client'), /issued to another client/);
    await accounts().revoke(grant.refresh_token);
    await assert.rejects(accounts().refresh(grant.refresh_token), /invalid or revoked/);
    assert.equal(await accounts().authenticate(concurrent[0].access_token), undefined, 'revoking it revokes its access tokens');
  });

  test('refresh tokens rotate, and revoking one revokes every token of its grant', async () => {
    const user = await accounts().createUser('cat@example.com', 'password1');
    const first = await accounts().issueGrant(user.id, null);
    const second = await accounts().refresh(first.refresh_token);
    assert.notEqual(second.refresh_token, first.refresh_token);
    const third = await accounts().refresh(second.refresh_token!);
    await accounts().revoke(third.refresh_token!);
    await assert.rejects(accounts().refresh(third.refresh_token!), /invalid or revoked/);
    assert.equal(await accounts().authenticate(third.access_token), undefined);
    assert.equal(await accounts().authenticate(first.access_token), undefined);
  });

  test('a refresh token presented again after its use revokes every token of its grant, and no other grant', async () => {
    const user = await accounts().createUser('dan@example.com', 'password1');
    const other = await accounts().issueGrant(user.id, null);
    const first = await accounts().issueGrant(user.id, null);
    const second = await accounts().refresh(first.refresh_token);
    clock += 10_001;
    await assert.rejects(accounts().refresh(first.refresh_token), /already used: every token of its grant is revoked/);
    await assert.rejects(accounts().refresh(second.refresh_token!), /invalid or revoked/);
    assert.equal(await accounts().authenticate(second.access_token), undefined);
    assert.equal((await accounts().authenticate(other.access_token))?.id, user.id);
    assert.ok(await accounts().refresh(other.refresh_token));
  });

  test('within 10 s of its use a refresh token presented again is only refused', async () => {
    const user = await accounts().createUser('gil@example.com', 'password1');
    const first = await accounts().issueGrant(user.id, null);
    const second = await accounts().refresh(first.refresh_token);
    clock += 10_000;
    await assert.rejects(accounts().refresh(first.refresh_token), /invalid or revoked/);
    assert.equal((await accounts().authenticate(second.access_token))?.id, user.id);
    assert.ok(await accounts().refresh(second.refresh_token!));
  });

  test('a used refresh token is remembered for 30 days; after that presenting it only fails', async () => {
    const user = await accounts().createUser('eve@example.com', 'password1');
    const remembered = await accounts().issueGrant(user.id, null);
    await accounts().refresh(remembered.refresh_token);
    const forgotten = await accounts().issueGrant(user.id, null);
    const rotated = await accounts().refresh(forgotten.refresh_token);
    clock += 30 * 24 * 3600 * 1000 - 1;
    await assert.rejects(accounts().refresh(remembered.refresh_token), /already used/);
    clock += 2;
    await assert.rejects(accounts().refresh(forgotten.refresh_token), /invalid or revoked/);
    assert.ok(await accounts().refresh(rotated.refresh_token!));
    await accounts().purgeExpired();
    const row = await store.current.db.selectFrom('tokens').select('kind').where('token_hash', '=', hashToken(forgotten.refresh_token)).executeTakeFirst();
    assert.equal(row, undefined, 'the expired memory is purged');
  });

  test('of two concurrent refreshes with one token, only one gets a pair, and it works', async () => {
    const user = await accounts().createUser('fay@example.com', 'password1');
    const grant = await accounts().issueGrant(user.id, null);
    const outcomes = await Promise.allSettled([accounts().refresh(grant.refresh_token), accounts().refresh(grant.refresh_token)]);
    const won = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    assert.equal(won.length, 1);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected');
    assert.ok(refused?.reason instanceof AuthError && refused.reason.code === 'invalid_grant');
    assert.equal((await accounts().authenticate(won[0]!.access_token))?.id, user.id);
    assert.ok(await accounts().refresh(won[0]!.refresh_token!));
  });

  test('of two concurrent exchanges of one code, only one gets a grant', async () => {
    const robot = await accounts().createRobot();
    const code = await accounts().issueAuthCode(robot.id);
    const outcomes = await Promise.allSettled([accounts().exchangeCode(code, null), accounts().exchangeCode(code, null)]);
    assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1);
  });

  test('exchanging an authorization code marks the account as holding credentials, once', async () => {
    const robot = await accounts().createRobot();
    assert.equal(robot.credentials_issued_at, null);
    await accounts().exchangeCode(await accounts().issueAuthCode(robot.id), null);
    const issuedAt = (await accounts().findById(robot.id))?.credentials_issued_at;
    assert.equal(issuedAt, clock);
    clock += 1000;
    await accounts().exchangeCode(await accounts().issueAuthCode(robot.id), null);
    assert.equal((await accounts().findById(robot.id))?.credentials_issued_at, issuedAt);
  });
});
