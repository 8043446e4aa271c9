// DeviceCodes on both storage dialects: one grant per approved code however
// many polls race for it, decisions only on pending codes, and purging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Accounts, AuthError } from '../../src/auth/accounts.ts';
import { DeviceCodes } from '../../src/auth/device-codes.ts';
import { describeEachDialect } from '../helpers/dialects.ts';

describeEachDialect('device codes', (store) => {
  let clock = 5_000_000;
  const now = () => clock;
  const limits = { ttlSeconds: 600, intervalSeconds: 5, requestsPerMinute: 100, userCodeFailuresPerMinute: 100 };
  const setUp = async (email: string) => {
    const accounts = new Accounts(store.current.db, { accessTokenTtlSeconds: 60, now });
    return { accounts, codes: new DeviceCodes(store.current.db, accounts, limits, now), user: await accounts.createUser(email, 'password1') };
  };
  const errorOf = (promise: Promise<unknown>) => promise.then(() => 'granted', (error: AuthError) => error.code);

  test('of concurrent polls of an approved code exactly one gets the grant', async () => {
    const { accounts, codes, user } = await setUp('pia@example.com');
    const started = await codes.start('cli', null, 'src');
    assert.equal(await codes.decide(started.userCode.toLowerCase(), user.id, true, 'src'), true);
    assert.equal(await codes.decide(started.userCode, user.id, false, 'src'), false, 'a decided code is decided');
    const outcomes = await Promise.allSettled(Array.from({ length: 4 }, () => codes.poll(started.deviceCode, 'cli')));
    const granted = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    assert.equal(granted.length, 1);
    assert.equal((await accounts.authenticate(granted[0]!.access_token))?.id, user.id);
    assert.ok(outcomes.every((outcome) => outcome.status === 'fulfilled' || (outcome.reason as AuthError).code === 'invalid_grant'));
  });

  test('pending, slow_down, expiry, and the purge of codes expired a lifetime ago', async () => {
    const { codes } = await setUp('quin@example.com');
    const started = await codes.start('cli', 'scope', 'src');
    assert.equal(await errorOf(codes.poll(started.deviceCode, 'cli')), 'authorization_pending');
    clock += 4_999;
    assert.equal(await errorOf(codes.poll(started.deviceCode, 'cli')), 'slow_down');
    clock += 10_000;
    assert.equal(await errorOf(codes.poll(started.deviceCode, 'cli')), 'authorization_pending', '10 s = the interval grown to 10 s');
    clock += 600_000;
    assert.equal(await errorOf(codes.poll(started.deviceCode, 'cli')), 'expired_token');
    clock += 600_000;
    await codes.start('cli', null, 'src');
    assert.equal(await errorOf(codes.poll(started.deviceCode, 'cli')), 'invalid_grant', 'purged a lifetime after its expiry');
  });
});
