// The device-facing XMPP service of `ocp server`: accounts log in with a
// token, and the modules of a cloud print device's world are installed.
// Port `xmpp-port` requires STARTTLS (RFC 6120 §5), `xmpps-port` speaks TLS
// from the first byte like the original talk.google.com:443.
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Accounts } from '../auth/accounts.ts';
import type { NotificationBus, PushDirectory } from '../events/bus.ts';
import type { TlsMaterial } from '../tls/material.ts';
import { XmppServer } from '../xmpp/server.ts';
import { accountsAuthenticator } from '../auth/xmpp-authenticator.ts';
import { pingModule } from '../xmpp/modules/ping.ts';
import { legacySessionModule } from '../xmpp/modules/legacy-session.ts';
import { emptyRosterModule } from '../xmpp/modules/roster.ts';
import { presenceModule } from '../xmpp/modules/presence.ts';
import { routingModule } from '../xmpp/modules/routing.ts';
import { pushModule } from '../cloud/push/xmpp-module.ts';
import { revocationModule } from '../auth/xmpp-revocation.ts';
import { proxyProtocolFrom } from '../net/proxy-protocol.ts';

export interface C2sDependencies {
  config: ServerConfig;
  log: Logger;
  accounts: Pick<Accounts, 'authenticateSession'>;
  bus: NotificationBus;
  tls: TlsMaterial;
  /** What the cloud knows of an account's printers (replay on subscribe, ping interval). */
  pushDirectory?: PushDirectory;
}

export function createC2sServer(deps: C2sDependencies): XmppServer {
  const { config } = deps;
  const server = new XmppServer({
    domain: config.domain,
    tls: deps.tls,
    authenticator: accountsAuthenticator(deps.accounts, config.domain.toLowerCase()),
    log: deps.log,
    proxyProtocol: proxyProtocolFrom(config),
    limits: {
      maxStanzaSize: config.maxStanzaSize,
      maxBufferedBytes: config.xmppMaxBuffered,
      maxAuthFailuresPerConnection: config.xmppMaxAuthFailures,
      maxAuthFailuresPerAddress: config.xmppAuthFailuresPerMinute,
      authFailureDelayMs: config.xmppAuthFailureDelaySeconds * 1000,
      maxConnectionsPerAccount: config.maxConnectionsPerAccount,
      handshakeTimeoutMs: config.xmppHandshakeTimeoutSeconds * 1000,
      idleTimeoutMs: config.xmppIdleTimeoutSeconds * 1000,
      pingTimeoutMs: config.xmppPingTimeoutSeconds * 1000,
    },
  });
  return server
    .use(pingModule)
    .use(legacySessionModule)
    .use(emptyRosterModule)
    .use(presenceModule)
    .use(pushModule({ bus: deps.bus, directory: deps.pushDirectory, log: deps.log }))
    .use(revocationModule({ bus: deps.bus, directory: deps.pushDirectory, checkIntervalMs: config.xmppCredentialCheckSeconds * 1000, log: deps.log }))
    .use(routingModule);
}

/** Starts the configured client listeners (-1 = off); returns their ports by name. */
export async function listenC2s(server: XmppServer, config: ServerConfig): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  if (config.xmppPort >= 0) ports.xmpp = await server.listen({ name: 'xmpp', mode: 'starttls-required', host: config.host, port: config.xmppPort });
  if (config.xmppsPort >= 0) ports.xmpps = await server.listen({ name: 'xmpps', mode: 'direct', host: config.host, port: config.xmppsPort });
  return ports;
}
