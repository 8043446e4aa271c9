// The device authorization grant (RFC 8628) for clients without a browser:
// the reference connector's `init` and `ocp login --device`. A client asks for
// a device code and a user code (§3.1, §3.2), shows the user code, and polls
// the token endpoint with the device code (§3.4) while the user approves or
// denies it on the verification page (src/web/device-page.ts). Both codes are
// stored as their hashes; a request lives --device-code-ttl seconds.
import type { Db } from '../store/db.ts';
import { AuthError, type Accounts, type TokenGrant } from './accounts.ts';
import { hashToken, newId, newSecret } from './secrets.ts';
import { WindowLimiter } from '../limits/window-limiter.ts';
import { randomInt } from 'node:crypto';

export interface DeviceFlowLimits {
  ttlSeconds: number;
  /** The polling interval a new request starts with (RFC 8628 §3.2 `interval`). */
  intervalSeconds: number;
  /** Device codes one source address may request per minute (0 = unlimited). */
  requestsPerMinute: number;
  /** Wrong user codes one source address, or one account, may enter per minute (0 = unlimited). */
  userCodeFailuresPerMinute: number;
}

export interface DeviceAuthorization {
  deviceCode: string;
  /** Shown to the user as XXXX-XXXX. */
  userCode: string;
  expiresIn: number;
  interval: number;
}

/** RFC 8628 §6.1: 20 consonants without look-alikes, 8 of them (about 34.5 bits). */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const USER_CODE_LENGTH = 8;
/** RFC 8628 §3.5: each slow_down adds 5 s to the interval, for this and every later poll. */
const SLOW_DOWN_STEP_SECONDS = 5;

function newUserCode(): string {
  let code = '';
  for (let i = 0; i < USER_CODE_LENGTH; i++) code += USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** A user code as typed (any case, dashes, spaces) reduced to its letters, RFC 8628 §6.1. */
export function normalizeUserCode(typed: string): string {
  return typed.toUpperCase().replace(/[^A-Z]/g, '');
}

export class DeviceCodes {
  private readonly requestsBySource: WindowLimiter;
  private readonly wrongUserCodes: WindowLimiter;

  constructor(
    private readonly db: Db,
    private readonly accounts: Accounts,
    private readonly limits: DeviceFlowLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.requestsBySource = new WindowLimiter(limits.requestsPerMinute);
    this.wrongUserCodes = new WindowLimiter(limits.userCodeFailuresPerMinute);
  }

  /** RFC 8628 §3.1–3.2: a new device authorization request. */
  async start(clientId: string | null, scope: string | null, source: string): Promise<DeviceAuthorization> {
    const now = this.now();
    if (!this.requestsBySource.take(source, now)) {
      throw new AuthError('too many device codes requested from this address; try again in a minute', 'temporarily_unavailable', Math.ceil(this.requestsBySource.retryAfterMs(source, now) / 1000));
    }
    if (!clientId) throw new AuthError('client_id is required', 'invalid_request');
    await this.purgeExpired();
    const deviceCode = newSecret('ocpd_');
    // A user code is short: on the rare clash with a live one, draw again.
    for (let attempt = 0; ; attempt++) {
      const userCode = newUserCode();
      const clash = await this.db.selectFrom('device_codes').select('device_code_hash').where('user_code_hash', '=', hashToken(normalizeUserCode(userCode))).executeTakeFirst();
      if (clash && attempt < 5) continue;
      if (clash) throw new AuthError('no free user code; try again', 'temporarily_unavailable', 1);
      await this.db
        .insertInto('device_codes')
        .values({
          device_code_hash: hashToken(deviceCode),
          user_code_hash: hashToken(normalizeUserCode(userCode)),
          client_id: clientId,
          scope,
          status: 'pending',
          account_id: null,
          interval_seconds: this.limits.intervalSeconds,
          polled_at: null,
          expires_at: now + this.limits.ttlSeconds * 1000,
          created_at: now,
        })
        .execute();
      return { deviceCode, userCode, expiresIn: this.limits.ttlSeconds, interval: this.limits.intervalSeconds };
    }
  }

  /**
   * RFC 8628 §3.4–3.5: a poll of the token endpoint. Until the user decides,
   * authorization_pending, or slow_down (and 5 s more interval) when it comes
   * sooner than the interval after the last poll; then access_denied, or the
   * grant, once; expired_token after the request's lifetime.
   */
  async poll(deviceCode: string, clientId: string | null): Promise<TokenGrant> {
    const hash = hashToken(deviceCode);
    const now = this.now();
    const outcome = await this.db.transaction().execute(async (db): Promise<TokenGrant | AuthError> => {
      const row = await db.selectFrom('device_codes').selectAll().where('device_code_hash', '=', hash).executeTakeFirst();
      if (!row) return new AuthError('device code is invalid or already used', 'invalid_grant');
      if (row.client_id && clientId && row.client_id !== clientId) return new AuthError('device code was issued to another client', 'invalid_grant');
      if (row.expires_at <= now) return new AuthError('the device code expired; request a new one', 'expired_token');
      if (row.status === 'denied') return new AuthError('the user denied the request', 'access_denied');
      if (row.status === 'approved' && row.account_id) {
        // Two polls may both have read it approved (PostgreSQL): the delete decides.
        const { numDeletedRows } = await db.deleteFrom('device_codes').where('device_code_hash', '=', hash).where('status', '=', 'approved').executeTakeFirst();
        if (numDeletedRows === 0n) return new AuthError('device code was already used', 'invalid_grant');
        return this.accounts.issueGrant(row.account_id, row.client_id ?? clientId, newId(), db);
      }
      // One conditional update decides whether this poll kept the interval, concurrent polls included.
      const { numUpdatedRows } = await db
        .updateTable('device_codes')
        .set({ polled_at: now })
        .where('device_code_hash', '=', hash)
        .where((eb) => eb.or([eb('polled_at', 'is', null), eb('polled_at', '<=', now - row.interval_seconds * 1000)]))
        .executeTakeFirst();
      if (numUpdatedRows === 0n) {
        const interval = row.interval_seconds + SLOW_DOWN_STEP_SECONDS;
        await db.updateTable('device_codes').set({ polled_at: now, interval_seconds: interval }).where('device_code_hash', '=', hash).execute();
        return new AuthError(`polling faster than every ${row.interval_seconds} s; poll every ${interval} s`, 'slow_down');
      }
      return new AuthError('the user has not approved the request yet', 'authorization_pending');
    });
    if (outcome instanceof AuthError) throw outcome;
    return outcome;
  }

  /**
   * The user `accountId`, at `source`, approves or denies the pending request
   * with this user code. False for a code that is unknown, expired or already
   * decided; wrong codes count against both the source and the account, and
   * past --user-code-failures-per-minute further entries are refused
   * (temporarily_unavailable) until the minute is over (RFC 8628 §5.1).
   */
  async decide(typedUserCode: string, accountId: string, approve: boolean, source: string): Promise<boolean> {
    const now = this.now();
    const keys = [`source:${source}`, `account:${accountId}`];
    const blocked = keys.find((key) => this.wrongUserCodes.blocked(key, now));
    if (blocked) throw new AuthError('too many wrong codes; try again in a minute', 'temporarily_unavailable', Math.ceil(this.wrongUserCodes.retryAfterMs(blocked, now) / 1000));
    const { numUpdatedRows } = await this.db
      .updateTable('device_codes')
      .set({ status: approve ? 'approved' : 'denied', account_id: accountId })
      .where('user_code_hash', '=', hashToken(normalizeUserCode(typedUserCode)))
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (numUpdatedRows === 1n) return true;
    for (const key of keys) this.wrongUserCodes.record(key, now);
    return false;
  }

  /**
   * Deletes requests expired for a whole further lifetime (until then a poll
   * is told expired_token), and forgets counts whose minute is over. Runs
   * with each new request, so the table holds no more than those allow.
   */
  private async purgeExpired(): Promise<void> {
    const now = this.now();
    this.requestsBySource.prune(now);
    this.wrongUserCodes.prune(now);
    await this.db.deleteFrom('device_codes').where('expires_at', '<=', now - this.limits.ttlSeconds * 1000).execute();
  }
}
