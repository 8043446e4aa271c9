// A running server with a robot account that can log in to the XMPP service.
import { startTestServer, type TestServer } from '../helpers/server.ts';
import type { ServerConfig } from '../../src/config.ts';
import { createUser, registerAndClaim, type ClaimedPrinter, type TestUser } from '../helpers/cloud.ts';

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

export interface ClaimedSetup {
  server: TestServer;
  owner: TestUser;
  printer: ClaimedPrinter;
  /** The claimed printer's robot credentials: xmpp_jid and its OAuth2 access token. */
  robot: Robot;
}

/** A server with a user who has registered and claimed a printer over REST. */
export async function startWithClaimedPrinter(): Promise<ClaimedSetup> {
  const server = await startTestServer();
  const owner = await createUser(server);
  const printer = await registerAndClaim(server, owner);
  return { server, owner, printer, robot: { local: printer.jidLocal, token: printer.accessToken, bare: printer.xmppJid } };
}
