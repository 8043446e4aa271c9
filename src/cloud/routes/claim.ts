// confirm, getauthcode and createrobot [GCP §b1, §b2].
import type { CloudRoute } from '../route-table.ts';
import { CloudError } from '../errors.ts';
import { authorizationFor, claimPrinter } from '../registration.ts';
import type { CloudService } from '../service.ts';

export function claimRoutes(service: CloudService): CloudRoute[] {
  return [
    {
      path: 'confirm',
      methods: ['GET', 'POST'],
      auth: 'required',
      summary: 'Claims the printer waiting with this registration token for the signed-in user (automated_invite_url).',
      params: { token: { required: true, help: 'registration_token' } },
      async handle({ params, caller }) {
        const printerId = await claimPrinter(service, params.require('token'), caller!.account);
        return { message: 'Printer claimed.', printerid: printerId };
      },
    },
    {
      path: 'getauthcode',
      methods: ['GET', 'POST'],
      auth: 'none',
      summary: 'The polling_url: fails until the printer is claimed, then gives the robot\'s authorization code once.',
      params: { printerid: { required: true, help: 'the printer' }, oauth_client_id: { help: 'the device\'s OAuth client id' } },
      handle: async ({ params }) => authorizationFor(service, params.require('printerid'), params.get('oauth_client_id')),
    },
    {
      path: 'createrobot',
      methods: ['GET', 'POST'],
      auth: 'required',
      summary: 'Creates a robot account acting for the signed-in user (the connector\'s set-up, B1 step 2).',
      params: { oauth_client_id: { help: 'the connector\'s OAuth client id' }, proxy: { help: 'accepted' } },
      async handle({ params, caller }) {
        if (caller!.account.kind !== 'user') throw new CloudError('FORBIDDEN', 'Only a user can create a robot');
        const robot = await service.accounts.createRobot();
        await service.db.insertInto('robot_owners').values({ robot_id: robot.id, owner_id: caller!.account.id }).execute();
        const code = await service.accounts.issueAuthCode(robot.id, params.get('oauth_client_id') || null);
        return { xmpp_jid: `${robot.jid_local}@${service.config.domain}`, authorization_code: code };
      },
    },
  ];
}
