// A running server with a robot account that can log in to the XMPP service.
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { ServerConfig } from '../../src/config.ts';

export interface Robot {
  local: string;
  token: string;
  bare: string;
}

export async function createRobot(server: TestServer): Promise<Robot> {
  const account = await server.context.accounts.createRobot();
  const { access_token } = await server.context.accounts.issueGrant(account.id, null);
  return { local: account.jid_local, token: access_token, bare: `${account.jid_local}@${server.context.config.domain}` };
}

export async function startXmppServer(overrides: Partial<ServerConfig> = {}): Promise<{ server: TestServer; robot: Robot }> {
  const server = await startTestServer(overrides);
  return { server, robot: await createRobot(server) };
}
