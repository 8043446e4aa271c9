// The XMPP core, for every XMPP service of OpenCloudPrint (device-facing c2s,
// Cloud Connection Server). See docs/xmpp.md, "Writing a module".
export { XmppServer, type XmppServerOptions, type XmppModule, type StanzaHandler, type ListenOptions, type XmppStats } from './server.ts';
export type { ListenMode, Listener } from './session-host.ts';
export { XmppSession } from './session.ts';
export { DEFAULT_LIMITS, type XmppLimits } from './limits.ts';
export { PLAIN, X_OAUTH2, type Authenticator, type AuthRequest, type AuthResult, type SessionAccount, type SessionCredential, type SaslCredentials, type SaslMechanism } from './sasl.ts';
export { StreamError, stanzaErrorReply, type StreamErrorCondition, type StanzaErrorType } from './stream-error.ts';
export { iqResult, addressedToServer } from './stanza.ts';
export { parseJid, bareJid, type Jid } from './jid.ts';
export { NS } from './namespaces.ts';
export { pingModule } from './modules/ping.ts';
export { legacySessionModule } from './modules/legacy-session.ts';
export { emptyRosterModule } from './modules/roster.ts';
export { presenceModule } from './modules/presence.ts';
export { routingModule } from './modules/routing.ts';
export { registerXmppMetrics } from './metrics.ts';
