// An XMPP server instance: listeners, sessions, the bound-resource table and
// a Prosody-style dispatcher. Features are modules that register handlers on
// routing keys; the core knows streams, SASL and binding, nothing else.
//
// Routing keys (first handler returning true wins, in registration order):
//   iq-get/NS:NAME, iq-set/NS:NAME   an IQ request by its payload, e.g. iq-get/urn:xmpp:ping:ping
//   iq-result, iq-error              IQ responses
//   message/NS                       a message by the namespace of its first extension payload
//   iq, message, presence            any stanza of that kind, after the specific keys (routing)
// An IQ request nobody handles is answered with service-unavailable
// (RFC 6120 §8.4); other unhandled stanzas are dropped.
import { EventEmitter } from 'node:events';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Element, escapeXML } from 'ltx';
import type { Logger } from '../log.ts';
import { NS } from './namespaces.ts';
import { parseJid } from './jid.ts';
import { XmppSession } from './session.ts';
import { stanzaErrorReply, type StreamErrorCondition } from './stream-error.ts';
import type { BindError, Listener, SessionHost } from './session-host.ts';
import type { Authenticator } from './sasl.ts';
import { DEFAULT_LIMITS, type XmppLimits } from './limits.ts';
import { WindowLimiter } from '../limits/window-limiter.ts';
import { ParserPool } from './xml/parser-pool.ts';
import { clientAddress, type ProxyProtocolOptions } from '../net/proxy-protocol.ts';
import { serverTls } from '../net/tls-handshake.ts';

export interface ListenOptions extends Listener {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface XmppServerOptions {
  /** The XMPP domain: stream `from`, JID domainpart. */
  domain: string;
  /** Certificate and key for STARTTLS and direct-TLS listeners. */
  tls?: { cert: string; key: string };
  authenticator: Authenticator;
  limits?: Partial<XmppLimits>;
  log: Logger;
  /** Accept any stream `to` instead of answering host-unknown (CCS clients send free text there). */
  acceptAnyHost?: boolean;
  /** Ping a silent bound client before closing it (false: close it straight away; CCS clients must not get server IQs). */
  pingIdleClients?: boolean;
  /** Load balancers whose connections begin with a PROXY protocol header naming the client (--trusted-proxies). */
  proxyProtocol?: ProxyProtocolOptions;
}

/** Returns true when it handled the stanza. */
export type StanzaHandler = (stanza: Element, session: XmppSession) => boolean;

/** A feature: registers handlers and hooks on the server. */
export type XmppModule = (server: XmppServer) => void;

export interface XmppStats {
  /** Open connections per listener. */
  connections: Record<string, number>;
  /** Bound sessions per listener. */
  sessions: Record<string, number>;
  stanzasIn: number;
  stanzasOut: number;
  authFailures: number;
  /** Counters modules keep, e.g. push notifications sent. */
  counters: Record<string, number>;
}

export interface XmppServerEvents {
  'session-bound': [XmppSession];
  'session-closed': [XmppSession];
  /** The server is shutting down. */
  closed: [];
}

export class XmppServer extends EventEmitter<XmppServerEvents> implements SessionHost<XmppSession> {
  readonly domain: string;
  readonly limits: XmppLimits;
  /** Stream parsers the sessions borrow per read (see ParserPool). */
  readonly parsers: ParserPool;
  readonly authenticator: Authenticator;
  readonly log: Logger;
  readonly secureContext: SecureContext | undefined;
  readonly authLimiter: WindowLimiter;
  readonly stats: XmppStats = { connections: {}, sessions: {}, stanzasIn: 0, stanzasOut: 0, authFailures: 0, counters: {} };
  /** Extra features offered after authentication (the core offers bind). */
  readonly streamFeatures: Element[] = [];

  private readonly handlers = new Map<string, StanzaHandler[]>();
  private readonly featuresXml = new Map<string, string>();
  private readonly tcpServers: TcpServer[] = [];
  private readonly connections = new Set<XmppSession>();
  /** Bound sessions: bare JID → resource → session. */
  private readonly resources = new Map<string, Map<string, XmppSession>>();
  private readonly sweeper: NodeJS.Timeout;
  private pingCounter = 0;

  constructor(readonly options: XmppServerOptions) {
    super();
    this.domain = options.domain.toLowerCase();
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.parsers = new ParserPool({ maxStanzaSize: this.limits.maxStanzaSize, maxDepth: this.limits.maxDepth });
    this.authenticator = options.authenticator;
    this.log = options.log;
    this.secureContext = options.tls ? createSecureContext({ cert: options.tls.cert, key: options.tls.key }) : undefined;
    this.authLimiter = new WindowLimiter(this.limits.maxAuthFailuresPerAddress);
    const shortest = Math.min(this.limits.handshakeTimeoutMs, this.limits.pingTimeoutMs, this.limits.idleTimeoutMs || Infinity);
    this.sweeper = setInterval(() => this.sweep(), Math.max(50, Math.min(1000, shortest / 4))).unref();
  }

  use(module: XmppModule): this {
    module(this);
    return this;
  }

  /** Registers a stanza handler on a routing key; returns a function that removes it. */
  handle(key: string, handler: StanzaHandler): () => void {
    const list = this.handlers.get(key) ?? [];
    list.push(handler);
    this.handlers.set(key, list);
    return () => list.splice(list.indexOf(handler) >>> 0, 1);
  }

  count(counter: string, by = 1): void {
    this.stats.counters[counter] = (this.stats.counters[counter] ?? 0) + by;
  }

  /** Starts a listener and returns the port it is bound to. */
  async listen(options: ListenOptions): Promise<number> {
    const listener: Listener = { name: options.name, mode: options.mode };
    if (options.mode !== 'plain' && !this.secureContext) throw new Error(`${options.name}: TLS material is required for ${options.mode}`);
    const server = createTcpServer({ noDelay: true }, (socket) => this.admit(socket, listener));
    server.maxConnections = 19_000; // below the per-process open-file limit, leaving room for the rest of the server
    this.stats.connections[listener.name] ??= 0;
    this.stats.sessions[listener.name] ??= 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: options.host, port: options.port, backlog: 4096 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.tcpServers.push(server);
    return (server.address() as AddressInfo).port;
  }

  /** Stops listening and ends every stream with `condition` (RFC 6120 §4.9.3.22 system-shutdown). */
  async close(condition: StreamErrorCondition = 'system-shutdown'): Promise<void> {
    clearInterval(this.sweeper);
    const stopped = this.tcpServers.map((server) => new Promise<void>((resolve) => server.close(() => resolve())));
    for (const session of this.connections) session.close(condition);
    await Promise.all(stopped);
    this.emit('closed');
    this.removeAllListeners();
  }

  /** A new connection: the client's address (a trusted proxy's PROXY header names it), then TLS on a direct listener, then a session. */
  private admit(raw: Socket, listener: Listener): void {
    raw.on('error', () => raw.destroy());
    clientAddress(raw, this.options.proxyProtocol).then(
      (address) => {
        if (listener.mode !== 'direct') return this.accept(raw, listener, address);
        serverTls(raw, this.secureContext, this.limits.handshakeTimeoutMs).then(
          (socket) => this.accept(socket, listener, address),
          (error: Error) => this.log.debug({ err: error, listener: listener.name }, 'xmpp TLS handshake failed'),
        );
      },
      (error: Error) => this.log.warn({ listener: listener.name, peer: raw.remoteAddress, err: error.message }, 'connection from a trusted proxy refused'),
    );
  }

  private accept(socket: Socket, listener: Listener, address: string): void {
    const session = new XmppSession(this, socket, listener, address);
    this.connections.add(session);
    this.stats.connections[listener.name] = (this.stats.connections[listener.name] ?? 0) + 1;
  }

  /**
   * `<stream:features>` of a negotiation stage (RFC 6120 §4.3.2), built once:
   * modules add their features before the server starts listening.
   */
  features(stage: 'tls' | 'auth' | 'bind'): string {
    let xml = this.featuresXml.get(stage);
    if (xml === undefined) {
      const features = new Element('stream:features');
      if (stage === 'tls') features.c('starttls', { xmlns: NS.tls }).c('required');
      else if (stage === 'auth') {
        const mechanisms = features.c('mechanisms', { xmlns: NS.sasl });
        for (const mechanism of this.authenticator.mechanisms) mechanisms.c('mechanism').t(mechanism.name);
      } else {
        features.c('bind', { xmlns: NS.bind });
        for (const feature of this.streamFeatures) features.cnode(feature);
      }
      xml = features.toString();
      this.featuresXml.set(stage, xml);
    }
    return xml;
  }

  // ---- sessions

  /** The session bound to a full JID. */
  sessionOf(fullJid: string): XmppSession | undefined {
    const slash = fullJid.indexOf('/');
    return slash < 0 ? undefined : this.resources.get(fullJid.slice(0, slash))?.get(fullJid.slice(slash + 1));
  }

  /** Sessions bound to a bare JID, by resource. */
  sessionsOf(bareJid: string): ReadonlyMap<string, XmppSession> | undefined {
    return this.resources.get(bareJid);
  }

  /** Called by a session asking to bind `resource` (RFC 6120 §7.6–7.7). */
  bindSession(session: XmppSession, resource: string): BindError | undefined {
    const bare = session.bareJid;
    const bound = this.resources.get(bare) ?? new Map<string, XmppSession>();
    const previous = bound.get(resource);
    if (!previous && bound.size >= this.limits.maxConnectionsPerAccount) {
      return { type: 'wait', condition: 'resource-constraint', text: 'too many sessions for this account' };
    }
    // RFC 6120 §7.7.2.2: the new session wins; the old one ends with <conflict/>.
    if (previous) {
      this.unbind(previous);
      previous.close('conflict', 'replaced by a new connection');
    }
    bound.set(resource, session);
    this.resources.set(bare, bound);
    this.stats.sessions[session.listener.name] = (this.stats.sessions[session.listener.name] ?? 0) + 1;
    return undefined;
  }

  sessionBound(session: XmppSession): void {
    this.log.info({ listener: session.listener.name, jid: session.jid, ip: session.address }, 'xmpp session started');
    this.emit('session-bound', session);
  }

  /** Called once when a session's socket has closed. */
  sessionClosed(session: XmppSession): void {
    if (!this.connections.delete(session)) return;
    this.stats.connections[session.listener.name] = (this.stats.connections[session.listener.name] ?? 1) - 1;
    this.unbind(session);
    // Every session that was bound ends with this event, also one replaced by a conflicting bind.
    if (!session.resource) return;
    this.log.info({ listener: session.listener.name, jid: session.jid, ip: session.address }, 'xmpp session ended');
    this.emit('session-closed', session);
  }

  private unbind(session: XmppSession): boolean {
    const bound = this.resources.get(session.bareJid);
    if (!session.resource || bound?.get(session.resource) !== session) return false;
    bound.delete(session.resource);
    if (bound.size === 0) this.resources.delete(session.bareJid);
    this.stats.sessions[session.listener.name] = (this.stats.sessions[session.listener.name] ?? 1) - 1;
    return true;
  }

  // ---- stanzas

  /** Hands a stanza from a bound session to the handlers (see the key table at the top). */
  dispatch(stanza: Element, session: XmppSession): void {
    const kind = stanza.getName();
    const type = stanza.attrs.type;
    const isRequest = kind === 'iq' && (type === 'get' || type === 'set');
    if (stanza.attrs.to !== undefined && !parseJid(stanza.attrs.to)) {
      if (type !== 'error' && type !== 'result') session.send(stanzaErrorReply(stanza, 'modify', 'jid-malformed'));
      return;
    }
    let key: string | undefined;
    if (kind === 'iq') {
      // RFC 6120 §8.2.3: a request has an id and exactly one payload; a response has an id.
      const payloads = stanza.getChildElements();
      if (!stanza.attrs.id || !/^(?:get|set|result|error)$/.test(type ?? '') || (isRequest && payloads.length !== 1)) {
        if (type !== 'error') session.send(stanzaErrorReply(stanza, 'modify', 'bad-request'));
        return;
      }
      key = isRequest ? `iq-${type}/${payloads[0]!.getNS()}:${payloads[0]!.getName()}` : `iq-${type}`;
    } else if (kind === 'message') {
      const payload = stanza.getChildElements().find((child) => child.getNS() !== NS.client);
      if (payload) key = `message/${payload.getNS()}`;
    }
    if (key !== undefined && this.runHandlers(key, stanza, session)) return;
    if (this.runHandlers(kind, stanza, session)) return;
    if (isRequest) session.send(stanzaErrorReply(stanza, 'cancel', 'service-unavailable'));
  }

  private runHandlers(key: string, stanza: Element, session: XmppSession): boolean {
    const list = this.handlers.get(key);
    if (!list) return false;
    for (const handler of list) if (handler(stanza, session)) return true;
    return false;
  }

  // ---- timeouts

  /** One timer for all sessions: handshake deadline, idle ping, ping answer deadline. */
  private sweep(): void {
    const now = Date.now();
    const { handshakeTimeoutMs, pingTimeoutMs } = this.limits;
    for (const session of this.connections) {
      if (session.closed) continue;
      if (!session.bound) {
        if (now - session.connectedAt > handshakeTimeoutMs) session.close('connection-timeout', 'negotiation took too long');
        continue;
      }
      if (session.pingSentAt) {
        if (now - session.pingSentAt > pingTimeoutMs) session.close('connection-timeout', 'no answer to ping');
        continue;
      }
      const idleTimeoutMs = session.idleTimeoutMs ?? this.limits.idleTimeoutMs;
      if (idleTimeoutMs <= 0 || now - session.lastActivity <= idleTimeoutMs) continue;
      if (this.options.pingIdleClients === false) {
        session.close('connection-timeout', 'idle');
        continue;
      }
      // XEP-0199 §4.2; the id is not a number: the original connector takes any numeric-id IQ for its own pong.
      session.pingSentAt = now;
      session.send(`<iq type="get" from="${this.domain}" to="${escapeXML(session.jid)}" id="srv-ping-${(this.pingCounter++).toString(36)}"><ping xmlns="${NS.ping}"/></iq>`);
    }
    this.authLimiter.prune(now);
  }
}
