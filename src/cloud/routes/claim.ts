// confirm, getauthcode and createrobot [GCP §b1, §b2].
import type { CloudCall, CloudResult, CloudRoute } from '../route-table.ts';
import { CloudError } from '../errors.ts';
import { authorizationFor, claimPrinter, createConnectorRobot } from '../registration.ts';
import type { CloudService } from '../service.ts';

export async function confirmClaim({ service, params, caller }: CloudCall): Promise<CloudResult> {
  const printerId = await claimPrinter(service, params.require('token'), caller.account);
  return { message: 'Printer claimed.', printerid: printerId };
}

export async function getAuthCode({ service, params }: CloudCall<undefined>): Promise<CloudResult> {
  return authorizationFor(service, params.require('printerid'), params.get('oauth_client_id'));
}

export async function createRobot({ service, params, caller }: CloudCall): Promise<CloudResult> {
  if (caller.account.kind !== 'user') throw new CloudError('FORBIDDEN', 'Only a user can create a robot');
  const { robot, code } = await createConnectorRobot(service, caller.account, params.get('oauth_client_id') || null);
  return { xmpp_jid: `${robot.jid_local}@${service.config.domain}`, authorization_code: code };
}

/** The claim routes need no state of the service; the parameter keeps the shape of the other route lists that cloud/index.ts builds. */
export function claimRoutes(_service: CloudService): CloudRoute[] {
  return [
    {
      path: 'confirm',
      auth: 'required',
      summary: 'Claims the printer waiting with this registration token for the signed-in user (automated_invite_url).',
      params: { token: { required: true, help: 'registration_token' } },
      handle: confirmClaim,
    },
    {
      path: 'getauthcode',
      auth: 'none',
      summary: 'The polling_url: fails until the printer is claimed, then gives the robot\'s authorization code once.',
      params: { printerid: { required: true, help: 'the printer' }, oauth_client_id: { help: 'the device\'s OAuth client id' } },
      handle: getAuthCode,
    },
    {
      path: 'createrobot',
      auth: 'required',
      summary: 'Creates a robot account acting for the signed-in user (the connector\'s set-up, B1 step 2).',
      params: { oauth_client_id: { help: 'the connector\'s OAuth client id' }, proxy: { help: 'accepted' } },
      handle: createRobot,
    },
  ];
}
