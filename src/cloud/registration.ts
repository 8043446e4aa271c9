// Anonymous registration and claiming [GCP §b2]: an
// unclaimed printer holds a short claim token for --registration-ttl seconds;
// a signed-in user claims it (web page or `confirm?token=`), which mints the
// printer's robot account and makes the user its owner; the device then polls
// `getauthcode` for a one-time authorization code for the robot.
import { randomInt } from 'node:crypto';
import type { Account } from '../auth/accounts.ts';
import { hashToken } from '../auth/secrets.ts';
import { WindowLimiter } from '../limits/window-limiter.ts';
import { CloudError } from './errors.ts';
import { findPrinter } from './printers.ts';
import { printerChanged, type CloudService } from './service.ts';

// No 0/O, 1/I/L: the token is read off a printer's panel or a printed page.
const TOKEN_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const TOKEN_LENGTH = 5;

export function newClaimToken(): string {
  let token = '';
  for (let i = 0; i < TOKEN_LENGTH; i++) token += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return token;
}

export function claimTokenHash(token: string): string {
  return hashToken(token.trim().toUpperCase());
}

/** The URLs of the anonymous `register` reply (B2 step 2). */
export function registrationUrls(base: string, token: string, printerId: string) {
  const t = encodeURIComponent(token);
  return {
    invite_url: `${base}/cloudprint/claimprinter.html`,
    complete_invite_url: `${base}/cloudprint/claimprinter.html?token=${t}`,
    invite_page_url: `${base}/cloudprint/regtokenpage?t=${t}`,
    automated_invite_url: `${base}/cloudprint/confirm?token=${t}`,
    oauth_scope: 'https://www.googleapis.com/auth/cloudprint',
    // Ends in `oauth_client_id=`: the device appends its client id.
    polling_url: `${base}/cloudprint/getauthcode?printerid=${encodeURIComponent(printerId)}&oauth_client_id=`,
  };
}

/**
 * Wrong claim tokens a user may try per --registration-ttl window. The token
 * space is small (31^5), so guessing must stay slow; counted per server node.
 */
export const MAX_FAILED_CLAIMS = 10;
const claimAttempts = new WeakMap<CloudService, WindowLimiter>();

/**
 * Counts a claim attempt of `userId` before its token is looked up, so that
 * guesses sent at once count too; returns how to take it back once the token
 * proves right.
 */
function takeClaimAttempt(service: CloudService, userId: string): () => void {
  let limiter = claimAttempts.get(service);
  if (!limiter) claimAttempts.set(service, (limiter = new WindowLimiter(MAX_FAILED_CLAIMS, service.config.registrationTtlSeconds * 1000)));
  if (!limiter.take(userId)) {
    throw new CloudError('TOO_MANY_CLAIM_ATTEMPTS', `Too many wrong registration tokens; try again in ${Math.ceil(limiter.retryAfterMs(userId) / 1000)} s`);
  }
  return () => limiter.refund(userId);
}

/** Claims the unclaimed printer holding `token` for `user`; returns the printer id. */
export async function claimPrinter(service: CloudService, token: string, user: Account): Promise<string> {
  if (user.kind !== 'user') throw new CloudError('FORBIDDEN', 'Only a user can claim a printer');
  const rightToken = takeClaimAttempt(service, user.id);
  const printer = await service.db
    .selectFrom('printers')
    .select(['id', 'registration_expires_at'])
    .where('registration_token_hash', '=', claimTokenHash(token))
    .executeTakeFirst();
  if (!printer || (printer.registration_expires_at ?? 0) <= Date.now()) throw new CloudError('REGISTRATION_NOT_FOUND', 'The registration token is unknown or has expired');
  rightToken();
  const robot = await service.accounts.createRobot();
  const claimed = await service.db
    .updateTable('printers')
    .set({ owner_id: user.id, robot_id: robot.id, registration_token_hash: null, registration_expires_at: null, updated_at: Date.now() })
    .where('id', '=', printer.id)
    .where('owner_id', 'is', null)
    .executeTakeFirst();
  if (claimed.numUpdatedRows === 0n) {
    await service.accounts.deleteAccount(robot.id);
    throw new CloudError('ALREADY_CLAIMED', 'The printer has already been claimed');
  }
  service.log.info({ printerId: printer.id, account: user.id }, 'printer claimed');
  printerChanged(service, printer.id, 'printer');
  return printer.id;
}

/** `getauthcode`: fails until the claim, then hands out one authorization code for the robot. */
export async function authorizationFor(service: CloudService, printerId: string, clientId: string | undefined) {
  const printer = await findPrinter(service.db, printerId);
  if (!printer) throw new CloudError('REGISTRATION_NOT_FOUND', `Unknown printer ${printerId}, or its registration expired`);
  if (!printer.owner_id || !printer.robot_id || !printer.robot_jid_local) {
    if ((printer.registration_expires_at ?? 0) <= Date.now()) throw new CloudError('REGISTRATION_NOT_FOUND', `The registration of printer ${printerId} expired`);
    throw new CloudError('NOT_CLAIMED_YET', 'The printer has not been claimed yet; keep polling');
  }
  // Once the robot's code was exchanged (or burnt by another client), it is
  // not handed out again, even after its tokens are revoked: the printer id
  // alone must not be enough to obtain the robot's tokens. A code that
  // expired unused (lost on the way) may be replaced.
  const code = await service.accounts.issueRobotCode(printer.robot_id, clientId || null);
  if (code === undefined) throw new CloudError('CREDENTIALS_ALREADY_ISSUED', 'The authorization code for this printer was already issued');
  const base = service.publicUrl();
  const email = printer.owner_email ?? '';
  return {
    xmpp_jid: `${printer.robot_jid_local}@${service.config.domain}`,
    user_email: email,
    authorization_code: code,
    confirmation_page_url: `${base}/cloudprint/regconfirmpage?printername=${encodeURIComponent(printer.name)}&email=${encodeURIComponent(email)}`,
  };
}

/**
 * A robot account acting for `user`, as the connector sets itself up (GCP §b
 * B1 step 2): the printers it registers belong to the user (ownerFor), and
 * it signs in with the one-time authorization code returned.
 */
export async function createConnectorRobot(service: CloudService, user: Account, clientId: string | null): Promise<{ robot: Account; code: string }> {
  const robot = await service.accounts.createRobot();
  await service.db.insertInto('robot_owners').values({ robot_id: robot.id, owner_id: user.id }).execute();
  const code = await service.accounts.issueAuthCode(robot.id, clientId);
  return { robot, code };
}
