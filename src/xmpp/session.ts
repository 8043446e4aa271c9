// One client connection and its stream (RFC 6120): STARTTLS, SASL, resource
// binding, then stanzas handed to the server's dispatcher. Kept small on
// purpose: a session between stanzas holds its socket, a few scalars and no
// parser (it borrows one per read, see ParserPool), so thousands of them cost
// little beyond TLS.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { Element, escapeXML } from 'ltx';
import { NS } from './namespaces.ts';
import { parseJid } from './jid.ts';
import type { StreamHeader, StreamParser, StreamParserHandler } from './xml/stream-parser.ts';
import { StreamError, stanzaErrorReply, streamErrorElement, type StreamErrorCondition } from './stream-error.ts';
import type { SaslMechanism, SessionAccount, SessionCredential } from './sasl.ts';
import type { Listener, SessionHost } from './session-host.ts';

const enum Stage {
  /** STARTTLS-required listener before TLS. */
  NeedTls,
  /** Waiting for SASL. */
  NeedAuth,
  /** A SASL exchange (or its verification) is under way. */
  Authenticating,
  /** Authenticated, no resource bound yet. */
  NeedBind,
  Bound,
  Closed,
}

/** Stream ids and generated resourceparts: 16 hex digits, unique in this process (no entropy needed, RFC 6120 §4.7.3). */
const ID_PREFIX = randomBytes(4).toString('hex');
let idCounter = 0;
function uniqueId(): string {
  idCounter = (idCounter + 1) >>> 0;
  return ID_PREFIX + idCounter.toString(16).padStart(8, '0');
}

export class XmppSession implements StreamParserHandler {
  /** Stream id of the current stream (RFC 6120 §4.7.3), new on every restart. */
  streamId = '';
  /** JID localpart once authenticated. */
  local = '';
  /** The account that authenticated, if the authenticator named one (AuthResult.account). */
  account: SessionAccount | undefined;
  /** The credential it logged in with, if the authenticator named one (AuthResult.credential). */
  credential: SessionCredential | undefined;
  resource = '';
  /** Full JID once bound. */
  jid = '';
  /** Presence priority while the client is available (RFC 6121 §4.7.2.3); undefined = unavailable. */
  priority: number | undefined;
  /** Overrides the server's idle timeout for this session (ms), e.g. from the device's xmpp_timeout_value. */
  idleTimeoutMs: number | undefined;
  /** The client's address: the peer's, or the one a trusted proxy's PROXY header carried. */
  readonly address: string;
  readonly connectedAt = Date.now();
  lastActivity = this.connectedAt;
  /** When the server pinged this silent client; 0 = no ping outstanding. */
  pingSentAt = 0;

  private stage: Stage;
  private parser: StreamParser | undefined;
  private header: StreamHeader | undefined;
  private headerSent = false;
  private decoder = utf8Decoder();
  private authFailures = 0;
  /** A failed login's delayed answer (failedLogin). */
  private failureTimer: NodeJS.Timeout | undefined;
  private pendingMechanism: SaslMechanism | undefined;

  constructor(
    readonly server: SessionHost<XmppSession>,
    private socket: Socket,
    readonly listener: Listener,
    address: string,
  ) {
    this.address = address;
    this.stage = listener.mode === 'starttls-required' ? Stage.NeedTls : Stage.NeedAuth;
    this.attach(socket);
  }

  get bound(): boolean {
    return this.stage === Stage.Bound;
  }

  get closed(): boolean {
    return this.stage === Stage.Closed;
  }

  get bareJid(): string {
    return `${this.local}@${this.server.domain}`;
  }

  /** Writes a stanza or raw XML to the client. */
  send(data: Element | string): void {
    if (this.stage === Stage.Closed) return;
    this.server.stats.stanzasOut++;
    this.write(typeof data === 'string' ? data : data.toString());
  }

  /**
   * Ends the stream: an optional stream error (RFC 6120 §4.9), then the closing
   * tag (§4.4); the socket is destroyed if the peer does not close its side.
   */
  close(condition?: StreamErrorCondition, text?: string): void {
    if (this.stage === Stage.Closed) return;
    if (condition) {
      if (!this.headerSent) this.sendHeader();
      this.write(streamErrorElement(condition, text).toString());
    }
    if (this.headerSent) this.write('</stream:stream>');
    this.stage = Stage.Closed;
    this.parser = undefined;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  private write(xml: string): void {
    this.socket.write(xml);
    if (this.socket.writableLength > this.server.limits.maxBufferedBytes) {
      // The client does not read what we send: stop buffering for it.
      this.stage = Stage.Closed;
      this.socket.destroy();
    }
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(this.failureTimer);
      this.stage = Stage.Closed;
      this.parser = undefined;
      this.server.sessionClosed(this);
    });
  }

  private receive(chunk: Buffer): void {
    if (this.stage === Stage.Closed) return;
    this.lastActivity = Date.now();
    this.pingSentAt = 0;
    // Everything answered while handling this read leaves in one write (one TLS record, one syscall).
    const socket = this.socket;
    socket.cork();
    try {
      const text = this.decode(chunk);
      if (!text) return;
      const pool = this.server.parsers;
      const parser = (this.parser ??= this.header ? pool.take(this.header, this) : pool.fresh(this));
      parser.write(text);
      // Between stanzas the parser goes back to the pool; a stanza cut by the read keeps it here.
      if (this.parser === parser && pool.give(parser)) this.parser = undefined;
    } catch (error) {
      if (error === STOP) return;
      if (error instanceof StreamError) {
        this.server.log.debug({ address: this.address, condition: error.condition }, 'xmpp stream error');
        this.close(error.condition, error.text);
      } else {
        this.server.log.error({ err: error, address: this.address }, 'xmpp session failure');
        this.close('internal-server-error');
      }
    } finally {
      socket.uncork();
    }
  }

  /**
   * RFC 6120 §11.6: a stream is UTF-8 and nothing else; bytes that are not
   * (invalid, overlong or surrogate sequences) end it with <unsupported-encoding/>
   * (§4.9.3.22) instead of reaching anyone as U+FFFD. A character split
   * across reads is kept by the decoder until its last byte arrives.
   */
  private decode(chunk: Buffer): string {
    try {
      return this.decoder.decode(chunk, { stream: true });
    } catch {
      throw new StreamError('unsupported-encoding', 'the stream is not valid UTF-8');
    }
  }

  // ---- StreamParserHandler

  streamStarted(header: StreamHeader): void {
    this.header = header;
    const attrs = header.attrs;
    this.sendHeader(attrs.from);
    // RFC 6120 §4.7.5: a missing or lower version means a pre-1.0 client.
    if (!/^1\.\d+$/.test(attrs.version ?? '')) throw new StreamError('unsupported-version', 'version 1.0 is required');
    // RFC 6120 §4.8.2: stanzas are in jabber:client on a client stream.
    if ((attrs.xmlns ?? '') !== NS.client) throw new StreamError('invalid-namespace', 'the content namespace must be jabber:client');
    const to = attrs.to?.toLowerCase();
    if (to && to !== this.server.domain && !this.server.options.acceptAnyHost) throw new StreamError('host-unknown', `this server serves ${this.server.domain}`);
    this.write(this.server.features(this.stage === Stage.NeedTls ? 'tls' : this.stage === Stage.NeedAuth ? 'auth' : 'bind'));
  }

  streamEnded(): void {
    this.close();
  }

  stanza(element: Element): void {
    this.server.stats.stanzasIn++;
    switch (this.stage) {
      case Stage.NeedTls:
        return this.beforeTls(element);
      case Stage.NeedAuth:
        return this.beforeAuth(element);
      case Stage.Authenticating:
        // The client must wait for the outcome (RFC 6120 §6.4.6).
        throw new StreamError('not-authorized', 'authentication in progress');
      case Stage.NeedBind:
        return this.beforeBind(element);
      case Stage.Bound:
        return this.boundStanza(element);
      case Stage.Closed:
        return;
    }
  }

  // ---- negotiation

  private sendHeader(to?: string): void {
    this.streamId = uniqueId().toUpperCase();
    const toAttr = to ? ` to="${escapeXML(to)}"` : '';
    this.write(
      `<?xml version='1.0'?><stream:stream xmlns="${NS.client}" xmlns:stream="${NS.stream}" from="${escapeXML(this.server.domain)}"${toAttr} id="${this.streamId}" version="1.0" xml:lang="en">`,
    );
    this.headerSent = true;
  }

  /** Stream restart (RFC 6120 §4.3.3): the next input is a new stream header. */
  private restart(): void {
    this.parser = undefined;
    this.header = undefined;
    this.headerSent = false;
  }

  /** RFC 6120 §5.4.2: STARTTLS is mandatory here, nothing else is accepted before it. */
  private beforeTls(element: Element): void {
    if (!element.is('starttls', NS.tls)) throw new StreamError('policy-violation', 'STARTTLS is required');
    const context = this.server.secureContext!; // listen() refuses a STARTTLS listener without TLS material
    this.write(`<proceed xmlns="${NS.tls}"/>`);
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    raw.on('error', () => raw.destroy());
    this.restart();
    this.stage = Stage.NeedAuth;
    this.decoder = utf8Decoder();
    this.attach(new TLSSocket(raw, { isServer: true, secureContext: context }));
    // Whatever followed <starttls/> in this read was sent before the handshake: discard it.
    throw STOP;
  }

  private beforeAuth(element: Element): void {
    if (element.getNS() !== NS.sasl) throw new StreamError('not-authorized', 'authenticate first');
    if (element.getName() === 'auth') {
      const mechanism = this.server.authenticator.mechanisms.find((m) => m.name === element.attrs.mechanism);
      if (!mechanism) return this.saslFailure('invalid-mechanism');
      const text = element.getText().trim();
      // RFC 6120 §6.4.2: no initial response → an empty challenge asks for it.
      if (text === '') {
        this.pendingMechanism = mechanism;
        this.write(`<challenge xmlns="${NS.sasl}"/>`);
        return;
      }
      return this.saslResponse(mechanism, text);
    }
    if (element.getName() === 'response' && this.pendingMechanism) {
      const mechanism = this.pendingMechanism;
      this.pendingMechanism = undefined;
      return this.saslResponse(mechanism, element.getText().trim());
    }
    if (element.getName() === 'abort') {
      this.pendingMechanism = undefined;
      return this.saslFailure('aborted', false);
    }
    throw new StreamError('not-authorized', 'authenticate first');
  }

  private saslResponse(mechanism: SaslMechanism, base64: string): void {
    // "=" is an empty response (RFC 6120 §6.4.2); otherwise strict base64 (§6.5.2).
    if (base64 !== '=' && !/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(base64)) return this.saslFailure('incorrect-encoding');
    const credentials = mechanism.decode(Buffer.from(base64 === '=' ? '' : base64, 'base64'));
    if (!credentials) return this.saslFailure('not-authorized');
    this.stage = Stage.Authenticating;
    this.server.authenticator.authenticate({ mechanism: mechanism.name, credentials, address: this.address }).then(
      (result) => {
        if (this.closed) return;
        if (!result) return this.failedLogin();
        this.local = result.local;
        this.account = result.account;
        this.credential = result.credential;
        this.write(`<success xmlns="${NS.sasl}"/>`);
        this.restart();
        this.stage = Stage.NeedBind;
      },
      (error: unknown) => {
        this.server.log.error({ err: error }, 'xmpp authenticator failed');
        this.close('internal-server-error');
      },
    );
  }

  /**
   * A wrong login. Once its address is past --xmpp-auth-failures-per-minute,
   * the answer waits --xmpp-auth-failure-delay: guessing from there slows
   * down (with at most maxAuthFailuresPerConnection tries per connection),
   * while a right login from the same address (devices behind one NAT) is
   * never refused nor delayed (RFC 6120 §6.4.5 leaves the policy to us).
   */
  private failedLogin(): void {
    const answer = () => {
      this.failureTimer = undefined;
      if (this.closed) return;
      this.stage = Stage.NeedAuth;
      this.saslFailure('not-authorized');
    };
    if (!this.server.authLimiter.blocked(this.address)) return answer();
    this.failureTimer = setTimeout(answer, this.server.limits.authFailureDelayMs);
  }

  private saslFailure(condition: string, counts = true): void {
    this.write(`<failure xmlns="${NS.sasl}"><${condition}/></failure>`);
    if (!counts) return;
    this.server.stats.authFailures++;
    this.server.authLimiter.record(this.address);
    // RFC 6120 §6.4.5: a configurable number of retries, then the stream ends.
    if (++this.authFailures >= this.server.limits.maxAuthFailuresPerConnection) this.close('policy-violation', 'too many failed authentication attempts');
  }

  /** RFC 6120 §7: only the bind request is allowed between SASL and binding. */
  private beforeBind(element: Element): void {
    const bind = element.is('iq') && element.attrs.type === 'set' ? element.getChild('bind', NS.bind) : undefined;
    if (!bind) throw new StreamError('not-authorized', 'bind a resource first');
    const requested = bind.getChildText('resource')?.trim();
    const resource = requested || uniqueId();
    if (!parseJid(`${this.local}@${this.server.domain}/${resource}`)) {
      this.write(stanzaErrorReply(element, 'modify', 'bad-request', 'invalid resource').toString());
      return;
    }
    const error = this.server.bindSession(this, resource);
    if (error) {
      this.write(stanzaErrorReply(element, error.type, error.condition, error.text).toString());
      return;
    }
    this.resource = resource;
    this.jid = `${this.bareJid}/${resource}`;
    this.stage = Stage.Bound;
    const reply = new Element('iq', { type: 'result', id: element.attrs.id });
    reply.c('bind', { xmlns: NS.bind }).c('jid').t(this.jid);
    this.write(reply.toString());
    this.server.sessionBound(this);
  }

  private boundStanza(element: Element): void {
    if (element.getNS() !== NS.client || !/^(?:message|presence|iq)$/.test(element.getName())) {
      throw new StreamError('unsupported-stanza-type', `<${element.name}> is not a stanza`);
    }
    // RFC 6120 §8.1.2.1: the server stamps the sender's full JID.
    element.attrs.from = this.jid;
    this.server.dispatch(element, this);
  }
}

/** A strict streaming UTF-8 decoder; a byte order mark is passed on to the XML parser, as it arrived. */
function utf8Decoder(): TextDecoder {
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
}

/** Ends processing of the current read without an error (after STARTTLS). */
const STOP = new StreamError('reset');
