// share, unshare [GCP §a] and proximitytoken (Privet §4.4).
import { hashToken, newSecret } from '../../auth/secrets.ts';
import { atLeast, PUBLIC_SCOPE, requireRole } from '../access.ts';
import { CloudError } from '../errors.ts';
import { getPrinter } from '../printers.ts';
import type { CloudCall, CloudResult, CloudRoute } from '../route-table.ts';
import { printerChanged, type CloudService } from '../service.ts';
import type { Params } from '../params.ts';
import { findShare, insertProximityToken, removeShare, saveShare } from '../sharing.ts';
import type { ShareRole } from '../../store/tables/cloud.ts';

const ROLES: ShareRole[] = ['USER', 'MANAGER', 'OWNER'];
/** Lifetime of a proximity token; the value of Privet §4.4's example. */
export const PROXIMITY_TOKEN_SECONDS = 600;

function scopeOf(params: Params): string {
  if (params.bool('public')) return PUBLIC_SCOPE;
  const scope = params.get('scope')?.trim().toLowerCase();
  if (!scope) throw new CloudError('MISSING_PARAMETER', 'Missing parameter: scope (or public=true)');
  if (!/^[^\s@]+@[^\s@]+$/.test(scope)) throw new CloudError('INVALID_PARAMETER', `Parameter scope must be an email address, got "${scope}"`);
  return scope;
}

export async function sharePrinter({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const { db } = service;
  const printer = await getPrinter(db, params.require('printerid'));
  const callerRole = await requireRole(db, printer, caller, 'MANAGER');
  const scope = scopeOf(params);
  const role = (params.get('role')?.toUpperCase() ?? 'USER') as ShareRole;
  if (!ROLES.includes(role)) throw new CloudError('INVALID_PARAMETER', `Parameter role must be one of ${ROLES.join(', ')}, got "${params.get('role')}"`);
  if (scope === PUBLIC_SCOPE && role !== 'USER') throw new CloudError('INVALID_PARAMETER', 'A public share can only have the USER role');
  if (role === 'OWNER' && !atLeast(callerRole, 'OWNER')) throw new CloudError('FORBIDDEN', 'Only an owner can share the OWNER role');
  if (!atLeast(callerRole, 'OWNER')) {
    // Changing an OWNER share's role would undo it, which unshare allows only owners.
    const existing = await findShare(db, printer.id, scope);
    if (existing?.role === 'OWNER') throw new CloudError('FORBIDDEN', 'Only an owner can change an OWNER share');
  }
  await saveShare(db, { printer_id: printer.id, scope, role, created_at: Date.now() });
  printerChanged(service, printer.id, 'sharing');
  return { message: scope === PUBLIC_SCOPE ? 'Printer shared publicly.' : `Printer shared with ${scope} as ${role}.` };
}

export async function unsharePrinter({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const { db } = service;
  const printer = await getPrinter(db, params.require('printerid'));
  const scope = scopeOf(params);
  const own = scope === caller.account.email;
  await requireRole(db, printer, caller, own ? 'USER' : 'MANAGER');
  const share = await findShare(db, printer.id, scope);
  if (!share) throw new CloudError('INVALID_PARAMETER', `Printer ${printer.id} is not shared with ${scope}`);
  const callerRole = await requireRole(db, printer, caller, 'USER');
  if (share.role === 'OWNER' && !own && !atLeast(callerRole, 'OWNER')) throw new CloudError('FORBIDDEN', 'Only an owner can remove an OWNER share');
  await removeShare(db, printer.id, scope);
  printerChanged(service, printer.id, 'sharing');
  return { message: 'Printer unshared.' };
}

export async function mintProximityToken({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const { db } = service;
  const printer = await getPrinter(db, params.require('printerid'));
  await requireRole(db, printer, caller, 'OWNER');
  const email = params.require('user').trim().toLowerCase();
  const user = await service.accounts.findByEmail(email);
  if (!user || user.kind !== 'user') throw new CloudError('USER_NOT_FOUND', `No user ${email}`);
  const token = newSecret('ocpx_');
  const now = Date.now();
  await insertProximityToken(db, { token_hash: hashToken(token), printer_id: printer.id, user_id: user.id, expires_at: now + PROXIMITY_TOKEN_SECONDS * 1000, created_at: now });
  return { proximity_token: { user: email, token, expires_in: PROXIMITY_TOKEN_SECONDS } };
}

/** The sharing routes need no state of the service; the parameter keeps the shape of the other route lists that cloud/index.ts builds. */
export function sharingRoutes(_service: CloudService): CloudRoute[] {
  return [
    {
      path: 'share',
      auth: 'required',
      summary: 'Shares a printer with a user (role USER, MANAGER or OWNER) or with everyone (public=true, role USER).',
      params: {
        printerid: { required: true, help: 'the printer' },
        scope: { help: 'email of the user' },
        role: { help: 'USER (default), MANAGER or OWNER' },
        public: { help: 'true: anyone signed in may print' },
        skip_notification: { help: 'accepted; no notifications are sent' },
      },
      handle: sharePrinter,
    },
    {
      path: 'unshare',
      auth: 'required',
      summary: 'Removes a share; anyone may remove their own.',
      params: { printerid: { required: true, help: 'the printer' }, scope: { help: 'email of the user' }, public: { help: 'true: remove the public share' } },
      handle: unsharePrinter,
    },
    {
      path: 'proximitytoken',
      auth: 'required',
      summary: 'A short-lived token for a user next to the printer (Privet /privet/accesstoken); it lets that user print to that printer.',
      params: { printerid: { required: true, help: 'the printer' }, user: { required: true, help: 'email of the user at the printer' } },
      handle: mintProximityToken,
    },
  ];
}
