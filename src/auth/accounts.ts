// Accounts and their credentials: people (email + password), printer robots
// (minted when a printer is claimed) and CCS devices. Every bearer token of any
// kind (OAuth2 access/refresh, long-lived API token, authorization code) is a
// row in `tokens`, stored as its hash.
import { sqliteConnectionOf, type Db } from '../store/db.ts';
import { preparedQuery } from '../store/prepared.ts';
import type { AccountKind, AccountsTable, TokenKind } from '../store/tables/auth.ts';
import { hashPassword, hashToken, newId, newSecret, verifyPassword } from './secrets.ts';
import { FailureBackoff, type BackoffLimits } from './failure-backoff.ts';
import { WindowLimiter } from '../limits/window-limiter.ts';

export type Account = AccountsTable;

export interface TokenGrant {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  /** Absent from a robot's refresh response: its refresh token does not rotate. */
  refresh_token?: string;
}

/** A grant with its refresh token: every one but a robot's refresh. */
/** An API token as its owner sees it after creation: never its secret. */
export interface ApiTokenInfo {
  id: string;
  name: string;
  createdAt: number;
}

export type FullGrant = TokenGrant & { refresh_token: string };

export class AuthError extends Error {
  constructor(
    message: string,
    /** OAuth2 error code (RFC 6749 §5.2). */
    readonly code:
      | 'invalid_grant'
      | 'invalid_request'
      | 'invalid_client'
      | 'unsupported_grant_type'
      | 'temporarily_unavailable'
      // The device grant's polling answers (RFC 8628 §3.5).
      | 'authorization_pending'
      | 'slow_down'
      | 'access_denied'
      | 'expired_token',
    /** With `temporarily_unavailable`: when to try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

type IssuedTokenKind = Exclude<TokenKind, 'used_refresh'>;
const TOKEN_PREFIX: Record<IssuedTokenKind, string> = { access: 'ocpa_', refresh: 'ocpr_', api: 'ocpk_', code: '4/' };
const AUTH_CODE_TTL_MS = 10 * 60 * 1000;
/**
 * How long a refresh token is remembered after its one use: presenting it
 * again within that time revokes its whole grant (RFC 9700 §4.14.2), as
 * either the client or a thief who copied it is replaying it.
 */
const USED_REFRESH_MEMORY_MS = 30 * 24 * 60 * 60 * 1000;
/**
 * A refresh token presented again this soon after its use is only refused:
 * two of a client's own processes refreshing at once (two `ocp` commands), or
 * a retry racing its first try, must not sign the client out.
 */
const REPLAY_GRACE_MS = 10_000;

function tooManySignIns(waitMs: number): AuthError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return new AuthError(`too many failed sign-ins; try again in ${seconds} s`, 'temporarily_unavailable', seconds);
}

/**
 * Password sign-in throttling (docs/security.md): wrong passwords are
 * counted per (account, source address) with backoff, so a guesser delays
 * only its own further guesses at that account, never the account's owner
 * elsewhere; and per source address across accounts, in a one-minute window
 * (--sign-in-failures-per-source), so one address cannot spray every account.
 */
export interface SignInLimits extends BackoffLimits {
  failuresPerSourcePerMinute: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { freeFailures: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, failuresPerSourcePerMinute: 30 };

/**
 * Credentials that stopped working: every one of an account's, one grant
 * (token family) or one token (by its hash). Sessions opened with them end
 * (src/auth/xmpp-revocation.ts).
 */
export type Revocation = { accountId: string } | { grant: string } | { tokenHash: string };

export interface AccountsOptions {
  accessTokenTtlSeconds: number;
  signIn?: SignInLimits;
  now?: () => number;
  /** Told after credentials are revoked or an account is deleted. */
  onRevoked?: (revocation: Revocation) => void;
}

let decoy: Promise<string> | undefined;
/** A hash to check passwords of unknown accounts against. */
function decoyHash(): Promise<string> {
  return (decoy ??= hashPassword(newSecret()));
}

/** The account of a valid access or API token, and the token's grant (null for an API token). */
const sessionByBearerToken = preparedQuery<{ hash: string; now: number }, Account & { grant: string | null }>((db, param) =>
  db
    .selectFrom('tokens')
    .innerJoin('accounts', 'accounts.id', 'tokens.account_id')
    .selectAll('accounts')
    .select('tokens.family as grant')
    .where('tokens.token_hash', '=', param('hash'))
    .where('tokens.kind', 'in', ['access', 'api'])
    .where((eb) => eb.or([eb('tokens.expires_at', 'is', null), eb('tokens.expires_at', '>', param('now'))])),
);

/** The account of a valid access or API token: runs on every API request. */
const accountByBearerToken = preparedQuery<{ hash: string; now: number }, Account>((db, param) =>
  db
    .selectFrom('tokens')
    .innerJoin('accounts', 'accounts.id', 'tokens.account_id')
    .selectAll('accounts')
    .where('tokens.token_hash', '=', param('hash'))
    .where('tokens.kind', 'in', ['access', 'api'])
    .where((eb) => eb.or([eb('tokens.expires_at', 'is', null), eb('tokens.expires_at', '>', param('now'))])),
);

export class Accounts {
  private readonly now: () => number;
  private readonly failuresByAccountAndSource: FailureBackoff;
  private readonly failuresBySource: WindowLimiter;

  constructor(
    private readonly db: Db,
    private readonly options: AccountsOptions,
  ) {
    this.now = options.now ?? Date.now;
    const limits = options.signIn ?? DEFAULT_SIGN_IN_LIMITS;
    this.failuresByAccountAndSource = new FailureBackoff(limits);
    this.failuresBySource = new WindowLimiter(limits.failuresPerSourcePerMinute);
  }

  async createUser(email: string, password: string): Promise<Account> {
    const normalized = email.trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(normalized)) throw new AuthError(`"${email}" is not an email address`, 'invalid_request');
    if (password.length < 8) throw new AuthError('passwords need at least 8 characters', 'invalid_request');
    if (await this.findByEmail(normalized)) throw new AuthError(`user ${normalized} already exists`, 'invalid_request');
    return this.insert('user', normalized, await hashPassword(password));
  }

  /** A robot account (a claimed printer's identity on the XMPP channel). */
  createRobot(): Promise<Account> {
    return this.insert('robot', null, null);
  }

  createDevice(): Promise<Account> {
    return this.insert('device', null, null);
  }

  private async insert(kind: AccountKind, email: string | null, passwordHash: string | null): Promise<Account> {
    const id = newId();
    const account: Account = { id, kind, email, password_hash: passwordHash, jid_local: id, created_at: this.now(), credentials_issued_at: null, code_issued_at: null };
    await this.db.insertInto('accounts').values(account).execute();
    return account;
  }

  findById(id: string): Promise<Account | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findByEmail(email: string): Promise<Account | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('email', '=', email.trim().toLowerCase()).executeTakeFirst();
  }

  findByJidLocal(local: string): Promise<Account | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('jid_local', '=', local.toLowerCase()).executeTakeFirst();
  }

  listUsers(): Promise<Account[]> {
    return this.db.selectFrom('accounts').selectAll().where('kind', '=', 'user').orderBy('email').execute();
  }

  async deleteAccount(id: string): Promise<void> {
    await this.db.deleteFrom('accounts').where('id', '=', id).execute();
    this.options.onRevoked?.({ accountId: id });
  }

  /**
   * The account whose password this is. A wrong password makes the same
   * `source` address wait before trying that account again, with backoff
   * (SignInLimits); other addresses are not affected, so nobody can lock the
   * owner out. An attempt is counted before its scrypt and taken back if the
   * password is right, so that guesses sent in parallel count too. An
   * unknown email costs a scrypt too, so timing tells nothing.
   */
  async checkPassword(email: string, password: string, source = ''): Promise<Account | undefined> {
    const now = this.now();
    const key = `${email.trim().toLowerCase()}\n${source}`;
    const wait = this.failuresByAccountAndSource.waitMs(key, now);
    if (wait > 0) throw tooManySignIns(wait);
    if (!this.failuresBySource.take(source, now)) throw tooManySignIns(this.failuresBySource.retryAfterMs(source, now));
    this.failuresByAccountAndSource.fail(key, now);
    const account = await this.findByEmail(email);
    const matches = await verifyPassword(password, account?.password_hash ?? (await decoyHash()));
    if (!account?.password_hash || !matches) return undefined;
    this.failuresByAccountAndSource.succeed(key);
    this.failuresBySource.refund(source);
    return account;
  }

  private async issue(accountId: string, kind: IssuedTokenKind, ttlMs: number | null, clientId: string | null = null, family: string | null = null, db: Db = this.db, name: string | null = null): Promise<string> {
    const token = newSecret(TOKEN_PREFIX[kind]);
    const now = this.now();
    await db
      .insertInto('tokens')
      .values({ token_hash: hashToken(token), account_id: accountId, kind, client_id: clientId, family, expires_at: ttlMs === null ? null : now + ttlMs, created_at: now, name })
      .execute();
    return token;
  }

  /** A long-lived API token for scripts (`ocp token create`, the console's Account page), with an optional name. */
  issueApiToken(accountId: string, name: string | null = null): Promise<string> {
    return this.issue(accountId, 'api', null, null, null, this.db, name);
  }

  /**
   * A named API token, with its secret (which only this answer holds) and
   * what apiTokensOf will list for it; undefined if the account holds `limit`
   * API tokens already (0: no limit). The count and the insert are one
   * transaction, and creations for one account take turns: on PostgreSQL the
   * account's row is locked (FOR UPDATE) until the transaction ends, so the
   * next one counts this token; SQLite runs one transaction at a time.
   */
  async createApiToken(accountId: string, name: string, limit = 0): Promise<(ApiTokenInfo & { token: string }) | undefined> {
    const postgres = !sqliteConnectionOf(this.db);
    return this.db.transaction().execute(async (db) => {
      if (limit > 0) {
        if (postgres) await db.selectFrom('accounts').select('id').where('id', '=', accountId).forUpdate().execute();
        const held = await db.selectFrom('tokens').select((eb) => eb.fn.countAll<number | string>().as('count')).where('account_id', '=', accountId).where('kind', '=', 'api').executeTakeFirstOrThrow();
        if (Number(held.count) >= limit) return undefined;
      }
      const token = await this.issue(accountId, 'api', null, null, null, db, name);
      const id = hashToken(token);
      const { created_at } = await db.selectFrom('tokens').select('created_at').where('token_hash', '=', id).executeTakeFirstOrThrow();
      return { id, name, createdAt: Number(created_at), token };
    });
  }

  /** An account's API tokens, oldest first: each one's id (the hash of its secret, which cannot be recovered from it), name and creation time. */
  async apiTokensOf(accountId: string): Promise<ApiTokenInfo[]> {
    const rows = await this.db
      .selectFrom('tokens')
      .select(['token_hash', 'name', 'created_at'])
      .where('account_id', '=', accountId)
      .where('kind', '=', 'api')
      .orderBy('created_at')
      .orderBy('token_hash')
      .execute();
    return rows.map((row) => ({ id: row.token_hash, name: row.name ?? '', createdAt: Number(row.created_at) }));
  }

  /** Revokes the API token `id` (from apiTokensOf) if it is `accountId`'s; its XMPP sessions end (onRevoked). False if it is not theirs. */
  async revokeApiToken(accountId: string, id: string): Promise<boolean> {
    const { numDeletedRows } = await this.db.deleteFrom('tokens').where('token_hash', '=', id).where('account_id', '=', accountId).where('kind', '=', 'api').executeTakeFirst();
    if (numDeletedRows === 0n) return false;
    this.options.onRevoked?.({ tokenHash: id });
    return true;
  }

  /** A one-time authorization code, exchanged at /oauth2/token; `db` is the transaction to issue it in, if any. */
  issueAuthCode(accountId: string, clientId: string | null = null, db: Db = this.db): Promise<string> {
    return this.issue(accountId, 'code', AUTH_CODE_TTL_MS, clientId, null, db);
  }

  /**
   * getauthcode's code for a robot, or undefined when the robot's code was
   * already handed out and has not expired unused, or was exchanged (or
   * burnt). One conditional update decides, so of any number of concurrent
   * polls exactly one gets a code, on SQLite and PostgreSQL alike (a
   * concurrent update waits for the row and re-checks the condition).
   */
  async issueRobotCode(robotId: string, clientId: string | null): Promise<string | undefined> {
    const now = this.now();
    return this.db.transaction().execute(async (db) => {
      const { numUpdatedRows } = await db
        .updateTable('accounts')
        .set({ code_issued_at: now })
        .where('id', '=', robotId)
        .where('credentials_issued_at', 'is', null)
        .where((eb) => eb.or([eb('code_issued_at', 'is', null), eb('code_issued_at', '<=', now - AUTH_CODE_TTL_MS)]))
        .executeTakeFirst();
      if (numUpdatedRows === 0n) return undefined;
      return this.issueAuthCode(robotId, clientId, db);
    });
  }

  /** An access token alone (a robot's refresh, a web page's sign-in); `db` is the transaction to issue it in, if any. */
  async issueAccessToken(accountId: string, clientId: string | null, family: string | null = null, db: Db = this.db): Promise<TokenGrant> {
    const ttl = this.options.accessTokenTtlSeconds;
    const access_token = await this.issue(accountId, 'access', ttl * 1000, clientId, family, db);
    return { access_token, token_type: 'Bearer', expires_in: ttl };
  }

  /** A new access and refresh token; `db` is the transaction to issue them in, if any. */
  async issueGrant(accountId: string, clientId: string | null, family = newId(), db: Db = this.db): Promise<FullGrant> {
    const ttl = this.options.accessTokenTtlSeconds;
    const access_token = await this.issue(accountId, 'access', ttl * 1000, clientId, family, db);
    const refresh_token = await this.issue(accountId, 'refresh', null, clientId, family, db);
    return { access_token, token_type: 'Bearer', expires_in: ttl, refresh_token };
  }

  /**
   * Exchanges a one-time code (RFC 6749 §4.1.2) for a grant, in one
   * transaction: the account is marked as holding credentials in the same
   * step as the code is used up. A code presented by another client than its
   * own is used up all the same, and marks the account too: the code may have
   * leaked, and whoever holds it knows the printer id, so getauthcode must not
   * hand out a fresh one (docs/api.md § getauthcode).
   */
  async exchangeCode(code: string, clientId: string | null): Promise<FullGrant> {
    const hash = hashToken(code);
    const now = this.now();
    return this.committed(async (db) => {
      const row = await db.selectFrom('tokens').selectAll().where('token_hash', '=', hash).where('kind', '=', 'code').where('expires_at', '>', now).executeTakeFirst();
      if (!row) return new AuthError('authorization code is invalid, expired or already used', 'invalid_grant');
      // Two exchanges of one code may both have read it (PostgreSQL): the delete decides.
      const { numDeletedRows } = await db.deleteFrom('tokens').where('token_hash', '=', hash).executeTakeFirst();
      if (numDeletedRows === 0n) return new AuthError('authorization code was already used', 'invalid_grant');
      // Burnt or exchanged, the code was used: getauthcode hands out no other.
      await db.updateTable('accounts').set({ credentials_issued_at: now }).where('id', '=', row.account_id).where('credentials_issued_at', 'is', null).execute();
      if (row.client_id && clientId && row.client_id !== clientId) return new AuthError('authorization code was issued to another client', 'invalid_grant');
      return this.issueGrant(row.account_id, clientId ?? row.client_id, newId(), db);
    });
  }

  /**
   * A new access token from a refresh token (RFC 6749 §6), under one of two
   * policies (docs/api.md § Refresh tokens):
   *
   * - A robot's refresh token (a printer's or connector's, from the
   *   getauthcode / createrobot code exchange) does not rotate, as Google's
   *   never did: the reply carries no new refresh token, and the one token
   *   stays valid until revoked, its printer deleted or its account removed.
   *   Devices store it once, at registration, and present it at every start.
   * - A person's (CLI, console, device flow) rotates in one transaction: the
   *   token is marked used and a new pair issued in the same grant, so of two
   *   concurrent refreshes with one token only one gets a pair. A used token
   *   presented again, past REPLAY_GRACE_MS and within USED_REFRESH_MEMORY_MS,
   *   revokes every token of its grant (RFC 9700 §4.14.2).
   *
   * A token presented by another client than its own is invalid_grant.
   */
  async refresh(refreshToken: string, clientId: string | null = null): Promise<TokenGrant> {
    const hash = hashToken(refreshToken);
    const now = this.now();
    return this.committed(async (db) => {
      const current = await db
        .selectFrom('tokens')
        .innerJoin('accounts', 'accounts.id', 'tokens.account_id')
        .select(['tokens.account_id', 'tokens.client_id', 'tokens.family', 'accounts.kind as account_kind'])
        .where('tokens.token_hash', '=', hash)
        .where('tokens.kind', '=', 'refresh')
        .executeTakeFirst();
      if (current?.client_id && clientId && current.client_id !== clientId) return new AuthError('refresh token was issued to another client', 'invalid_grant');
      if (current?.account_kind === 'robot') return this.issueAccessToken(current.account_id, current.client_id, current.family, db);
      const { numUpdatedRows } = await db
        .updateTable('tokens')
        .set({ kind: 'used_refresh', expires_at: now + USED_REFRESH_MEMORY_MS })
        .where('token_hash', '=', hash)
        .where('kind', '=', 'refresh')
        .executeTakeFirst();
      const row = await db.selectFrom('tokens').select(['account_id', 'client_id', 'family', 'kind', 'expires_at']).where('token_hash', '=', hash).executeTakeFirst();
      if (numUpdatedRows === 1n && row) return this.issueGrant(row.account_id, row.client_id, row.family ?? newId(), db);
      if (row?.kind === 'used_refresh' && row.family && row.expires_at !== null && row.expires_at > now) {
        const usedAt = row.expires_at - USED_REFRESH_MEMORY_MS;
        if (now - usedAt > REPLAY_GRACE_MS) {
          await this.revokeGrant(row.family, db);
          return new AuthError('refresh token was already used: every token of its grant is revoked', 'invalid_grant');
        }
      }
      return new AuthError('refresh token is invalid or revoked', 'invalid_grant');
    });
  }

  /** Runs `work` in a transaction that commits even when it returns an AuthError, which is then thrown. */
  private async committed<T>(work: (db: Db) => Promise<T | AuthError>): Promise<T> {
    const outcome = await this.db.transaction().execute(work);
    if (outcome instanceof AuthError) throw outcome;
    return outcome;
  }

  /** Revokes one token; for a refresh token, every token of its grant. */
  async revoke(token: string): Promise<void> {
    const hash = hashToken(token);
    const row = await this.db.selectFrom('tokens').select(['family', 'kind']).where('token_hash', '=', hash).executeTakeFirst();
    if ((row?.kind === 'refresh' || row?.kind === 'used_refresh') && row.family) await this.revokeGrant(row.family);
    await this.db.deleteFrom('tokens').where('token_hash', '=', hash).execute();
    if (row) this.options.onRevoked?.({ tokenHash: hash });
  }

  private async revokeGrant(family: string, db: Db = this.db): Promise<void> {
    await db.deleteFrom('tokens').where('family', '=', family).execute();
    this.options.onRevoked?.({ grant: family });
  }

  /** Revokes an account's refresh tokens: its access tokens work until they expire, and then it is signed out. */
  async revokeRefreshTokens(accountId: string): Promise<void> {
    await this.db.deleteFrom('tokens').where('account_id', '=', accountId).where('kind', 'in', ['refresh', 'used_refresh']).execute();
    this.options.onRevoked?.({ accountId });
  }

  async revokeAll(accountId: string): Promise<void> {
    await this.db.deleteFrom('tokens').where('account_id', '=', accountId).execute();
    this.options.onRevoked?.({ accountId });
  }

  /** The account an access or API token belongs to, if the token is valid now. */
  async authenticate(token: string): Promise<Account | undefined> {
    return accountByBearerToken(this.db).first({ hash: hashToken(token), now: this.now() });
  }

  /** Like authenticate, with what a long-lived session must know to end with its credentials: the token's grant and hash. */
  async authenticateSession(token: string): Promise<{ account: Account; grant: string | null; tokenHash: string } | undefined> {
    const tokenHash = hashToken(token);
    const row = await sessionByBearerToken(this.db).first({ hash: tokenHash, now: this.now() });
    if (!row) return undefined;
    const { grant, ...account } = row;
    return { account, grant, tokenHash };
  }

  /** Deletes expired tokens, and forgets sign-in failures that no longer delay anyone. */
  async purgeExpired(): Promise<void> {
    this.failuresByAccountAndSource.prune(this.now());
    this.failuresBySource.prune(this.now());
    await this.db.deleteFrom('tokens').where('expires_at', '<=', this.now()).execute();
  }
}
