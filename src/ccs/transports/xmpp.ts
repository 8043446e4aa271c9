// The CCS over XMPP: the app-server endpoint (a second XmppServer of
// src/xmpp with its own authenticator and modules, CCS §1) and
// the `google:mobile:data` module of the device-facing c2s server.
import { escapeXML, type Element } from 'ltx';
import type { Logger } from '../../log.ts';
import type { TlsMaterial } from '../../tls/material.ts';
import { XmppServer, PLAIN, X_OAUTH2, pingModule, legacySessionModule, emptyRosterModule, NS, type Authenticator, type SaslMechanism, type XmppModule, type XmppSession } from '../../xmpp/index.ts';
import type { Senders } from '../service/senders.ts';
import type { AppConnection, AppServerHub } from '../service/appservers.ts';
import type { DeviceHub, DeviceSession } from '../service/devices.ts';
import { GCM_NAMESPACE } from '../../protocol/namespaces.ts';
import { escapeText, gcmStanza, gcmText } from '../../protocol/gcm-stanza.ts';
import type { GcmLink } from '../service/links.ts';
import type { ProxyProtocolOptions } from '../../net/proxy-protocol.ts';

/**
 * Offered so that clients choose as they did against the original (§1.2);
 * never completed, so a client trying it falls back to PLAIN.
 */
const X_GOOGLE_TOKEN: SaslMechanism = { name: 'X-GOOGLE-TOKEN', decode: () => undefined };

/** The sender ID a login names: the digits before any `@`, in authcid and (if given) authzid alike (§1.2). */
export function senderIdOf(authcid: string, authzid: string): string | undefined {
  const local = (identity: string) => identity.split('@')[0]!;
  const sender = local(authcid);
  if (!/^\d+$/.test(sender)) return undefined;
  if (authzid && local(authzid) !== sender) return undefined;
  return sender;
}

/** §1.1: X-OAUTH2, X-GOOGLE-TOKEN, PLAIN in that order; the password is the sender's API key. */
export function sendersAuthenticator(senders: Pick<Senders, 'authenticate'>): Authenticator {
  return {
    mechanisms: [X_OAUTH2, X_GOOGLE_TOKEN, PLAIN],
    async authenticate({ credentials }) {
      const sender = senderIdOf(credentials.authcid, credentials.authzid);
      if (!sender) return undefined;
      return (await senders.authenticate(sender, credentials.secret)) ? { local: sender } : undefined;
    },
  };
}

/** Sessions with `<gcm>` messages waiting for the end of this turn of the event loop. */
const unflushed = new Map<XmppSession, string>();

function flushAll(): void {
  for (const [session, out] of unflushed) session.send(out);
  unflushed.clear();
}

/**
 * A GcmLink writing `<gcm>` messages to an XMPP session. Messages produced in
 * one turn of the event loop (a batch's ACKs, a backlog) leave in one write:
 * one TLS record and one system call instead of one per message. One
 * setImmediate serves every session written to in the turn (a batch reaches
 * as many devices as it has messages).
 */
function linkOf(session: XmppSession): GcmLink {
  return {
    sendGcm(json, options) {
      const pending = unflushed.get(session);
      if (pending === undefined && unflushed.size === 0) setImmediate(flushAll);
      unflushed.set(session, (pending ?? '') + gcmStanza(json, options));
    },
    close: () => {
      const pending = unflushed.get(session);
      if (pending !== undefined) {
        unflushed.delete(session);
        session.send(pending);
      }
      session.close();
    },
  };
}

/** §4.3: the stanza error for an unusable request, echoing its payload, to the full JID. */
function stanzaError(message: Element, session: XmppSession, payload: string, text: string): string {
  const id = message.attrs.id !== undefined ? ` id="${escapeXML(message.attrs.id)}"` : '';
  return (
    `<message${id} type="error" to="${escapeXML(session.jid)}"><gcm xmlns="${GCM_NAMESPACE}">${escapeText(payload)}</gcm>` +
    `<error code="400" type="modify"><bad-request xmlns="${NS.stanzas}"/><text xmlns="${NS.stanzas}">${escapeText(text)}</text></error></message>`
  );
}

/** The app-server side: attach bound sessions to the hub, hand it their `<gcm>` messages. */
export function appServerModule(hub: AppServerHub): XmppModule {
  return (server) => {
    const connections = new WeakMap<XmppSession, AppConnection>();
    server.on('session-bound', (session) => connections.set(session, hub.attach(session.local, linkOf(session))));
    server.on('session-closed', (session) => {
      const connection = connections.get(session);
      if (connection) hub.detach(connection);
    });
    server.handle(`message/${GCM_NAMESPACE}`, (message, session) => {
      const connection = connections.get(session);
      const text = gcmText(message);
      if (!connection || text === undefined || message.attrs.type === 'error') return true;
      const result = hub.receive(connection, text, message.attrs.id);
      if (result) session.send(stanzaError(message, session, text, result.stanzaError));
      return true;
    });
    // §1.2: presence is swallowed; other messages (e.g. a <body> auto-reply) are ignored.
    server.handle('presence', () => true);
    server.handle('message', () => true);
  };
}

export interface CcsXmppOptions {
  domain: string;
  tls: TlsMaterial;
  log: Logger;
  senders: Pick<Senders, 'authenticate'>;
  hub: AppServerHub;
  maxStanzaSize: number;
  /** Load balancers whose connections begin with a PROXY protocol header (--trusted-proxies). */
  proxyProtocol?: ProxyProtocolOptions;
}

/** The app-server endpoint of §1: bind + session, ping and an empty roster answered, never an unsolicited IQ. */
export function createCcsXmppServer(options: CcsXmppOptions): XmppServer {
  return new XmppServer({
    domain: options.domain,
    tls: options.tls,
    authenticator: sendersAuthenticator(options.senders),
    log: options.log,
    acceptAnyHost: true,
    pingIdleClients: false,
    proxyProtocol: options.proxyProtocol,
    // App servers may stay silent for long stretches; the original never pinged them (§1.2).
    limits: { maxStanzaSize: options.maxStanzaSize, idleTimeoutMs: 0, maxConnectionsPerAccount: 1000 },
  })
    .use(legacySessionModule)
    .use(pingModule)
    .use(emptyRosterModule)
    .use(appServerModule(options.hub));
}

/**
 * The device side on the c2s server: a device account's session receives its
 * downstream messages and sends ACKs, upstream messages and its idle state as
 * `<gcm>` payloads.
 */
export function deviceModule(hub: DeviceHub): XmppModule {
  return (server) => {
    const devices = new WeakMap<XmppSession, DeviceSession>();
    // The session carries the account that authenticated: a device attaches at bind without another lookup.
    server.on('session-bound', (session) => {
      const account = session.account;
      if (account?.kind === 'device') devices.set(session, hub.attach({ accountId: account.id, jidLocal: session.local }, linkOf(session)));
    });
    server.on('session-closed', (session) => {
      const device = devices.get(session);
      if (device) hub.detach(device);
    });
    server.handle(`message/${GCM_NAMESPACE}`, (message, session) => {
      const device = devices.get(session);
      const text = gcmText(message);
      if (!device || text === undefined || message.attrs.to !== undefined && message.attrs.to !== server.domain) return false;
      hub.receive(device, text);
      return true;
    });
  };
}
