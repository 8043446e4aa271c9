// A small XMPP client stream, for the CCS SDKs and the devices' push channel:
// direct TLS (or plain, for the test-only port), SASL PLAIN or X-OAUTH2,
// resource binding and the session IQ, then raw stanzas both ways and
// id-correlated IQ requests. It parses with the server's own strict
// StreamParser and takes a CA for private deployments. Light enough to run
// thousands of device sessions in one process (the throughput benchmark does).
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { Element, escapeXML } from 'ltx';
import { StreamParser } from '../xml/stream-parser.ts';
import { NS } from '../namespaces.ts';
import { IqRequests } from './iq-request.ts';

/**
 * SASL mechanisms the client speaks. Both send `[authzid] NUL username NUL password`:
 * PLAIN (RFC 4616 §2) and Google's X-OAUTH2 with an access token as the password,
 * as GCP 2.0 devices and the connector sent it (GCP §c).
 */
export type ClientMechanism = 'PLAIN' | 'X-OAUTH2';

export interface StreamClientOptions {
  host: string;
  port: number;
  /** TLS from the first byte (default); false only for a test-only plain port. */
  tls?: boolean;
  /** Extra trusted CA (PEM), e.g. DATA/tls/ca.pem of a private deployment. */
  ca?: string | Buffer;
  /** The stream `to`. */
  domain: string;
  /** TLS server name to verify; default: `host` (an IP address is checked against the certificate's IP names). */
  servername?: string;
  /** SASL authentication identity and password (or access token). */
  username: string;
  password: string;
  /** In order of preference: the first the server offers is used (default: PLAIN only). */
  mechanisms?: readonly ClientMechanism[];
  resource?: string;
  /** Largest stanza accepted from the server. */
  maxStanzaSize?: number;
  /** Limit for connecting and negotiating (TCP, TLS, SASL, bind, session); default 15 s. */
  timeoutMs?: number;
  /** Aborts connecting and negotiating (a connected stream ends with `close()`). */
  signal?: AbortSignal;
}

export class StreamClientError extends Error {}

function servernameOf(options: StreamClientOptions): { servername?: string } {
  const name = options.servername ?? options.host;
  return isIP(name) ? {} : { servername: name };
}

export class StreamClient {
  /** The full JID the server bound. */
  jid = '';
  onStanza: (stanza: Element) => void = () => {};
  onClose: (error?: Error) => void = () => {};
  private parser: StreamParser | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private waiter: ((stanza: Element) => void) | undefined;
  private readonly requests = new IqRequests();
  private closed = false;
  private readonly socketClosed: Promise<void>;

  private constructor(
    private readonly socket: Socket,
    private readonly options: StreamClientOptions,
  ) {
    this.socketClosed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  /** `onStanza` gets every stanza after binding, including any the server sends before the session IQ's answer. */
  static async connect(options: StreamClientOptions, onStanza?: (stanza: Element) => void): Promise<StreamClient> {
    options.signal?.throwIfAborted();
    const tlsOptions: ConnectionOptions = { host: options.host, port: options.port, ...servernameOf(options), ...(options.ca ? { ca: options.ca } : {}) };
    const socket = options.tls === false ? tcpConnect({ host: options.host, port: options.port }) : tlsConnect(tlsOptions);
    const client = new StreamClient(socket, options);
    if (onStanza) client.onStanza = onStanza;
    const giveUp = (error: Error) => socket.destroy(error);
    const timer = setTimeout(() => giveUp(new StreamClientError('XMPP negotiation timed out')), options.timeoutMs ?? 15_000);
    const abort = () => giveUp(new StreamClientError('connecting was aborted'));
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once(options.tls === false ? 'connect' : 'secureConnect', resolve);
        socket.once('error', reject);
      });
      socket.setNoDelay(true);
      await client.negotiate();
      return client;
    } catch (error) {
      client.destroy();
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
    }
  }

  private async negotiate(): Promise<void> {
    this.socket.on('data', (chunk: Buffer) => this.receive(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail());
    let features = await this.restart();
    const offered = features.getChild('mechanisms', NS.sasl)?.getChildren('mechanism').map((m) => m.getText()) ?? [];
    const wanted = this.options.mechanisms ?? ['PLAIN'];
    const mechanism = wanted.find((name) => offered.includes(name));
    if (!mechanism) throw new StreamClientError(`the server offers none of ${wanted.join(', ')}`);
    const blob = Buffer.from(`\0${this.options.username}\0${this.options.password}`).toString('base64');
    this.send(`<auth xmlns="${NS.sasl}" mechanism="${mechanism}">${blob}</auth>`);
    const outcome = await this.next();
    if (outcome.getName() !== 'success') throw new StreamClientError(`authentication failed: ${outcome.getChildElements()[0]?.getName() ?? outcome.getName()}`);
    features = await this.restart();
    const resource = this.options.resource ? `<resource>${escapeXML(this.options.resource)}</resource>` : '';
    this.send(`<iq type="set" id="bind"><bind xmlns="${NS.bind}">${resource}</bind></iq>`);
    const bound = await this.next();
    this.jid = bound.getChild('bind', NS.bind)?.getChildText('jid') ?? '';
    if (bound.attrs.type !== 'result' || !this.jid) throw new StreamClientError('resource binding failed');
    if (features.getChild('session', NS.session)) {
      this.send(`<iq type="set" id="sess"><session xmlns="${NS.session}"/></iq>`);
      // Bound, the server may already send messages: they go to onStanza, the answer comes here.
      await this.next();
    }
  }

  /** Opens a (new) stream and returns its features. */
  private async restart(): Promise<Element> {
    this.parser = new StreamParser(
      {
        streamStarted: () => {},
        stanza: (stanza) => {
          const waiter = this.waiter;
          this.waiter = undefined;
          if (!waiter) this.deliver(stanza);
          else if (this.jid && !stanza.is('iq')) {
            this.waiter = waiter;
            this.deliver(stanza);
          } else waiter(stanza);
        },
        streamEnded: () => this.close(),
      },
      { maxStanzaSize: this.options.maxStanzaSize ?? 1024 * 1024, maxDepth: 32 },
    );
    this.send(`<?xml version='1.0'?><stream:stream to="${escapeXML(this.options.domain)}" version="1.0" xmlns="${NS.client}" xmlns:stream="${NS.stream}">`);
    return this.next();
  }

  /** Settles answers to `request`, answers the server's XEP-0199 pings (idle sessions are pinged, then closed); hands on the rest. */
  private deliver(stanza: Element): void {
    if (this.requests.size > 0 && this.requests.settle(stanza)) return;
    if (stanza.is('iq') && stanza.attrs.type === 'get' && stanza.getChild('ping', NS.ping)) {
      const to = stanza.attrs.from ? ` to="${escapeXML(stanza.attrs.from)}"` : '';
      this.send(`<iq type="result" id="${escapeXML(stanza.attrs.id ?? '')}"${to}/>`);
      return;
    }
    this.onStanza(stanza);
  }

  private next(): Promise<Element> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new StreamClientError('connection closed'));
      this.waiter = resolve;
      const previous = this.onClose;
      this.onClose = (error) => {
        this.onClose = previous;
        reject(error ?? new StreamClientError('connection closed during negotiation'));
      };
      const settle = this.waiter;
      this.waiter = (stanza) => {
        this.onClose = previous;
        settle(stanza);
      };
    });
  }

  private receive(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    if (!text || !this.parser) return;
    try {
      this.parser.write(text);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  /** Writes XML; writes of one event-loop turn are corked into one TLS record. */
  send(xml: string): void {
    if (this.closed) return;
    if (!this.socket.writableCorked) {
      this.socket.cork();
      process.nextTick(() => this.socket.uncork());
    }
    this.socket.write(xml);
  }

  /**
   * Sends an IQ get or set and resolves with its result; rejects with an IqError for an
   * error answer, an IqTimeoutError after `timeoutMs`, or when the stream closes first.
   */
  request(iq: Element, timeoutMs: number): Promise<Element> {
    if (this.closed) return Promise.reject(new StreamClientError('connection closed'));
    const answer = this.requests.wait(iq, timeoutMs);
    this.send(iq.toString());
    return answer;
  }

  /** Requests still waiting for their answer. */
  get pendingRequests(): number {
    return this.requests.size;
  }

  /** Bytes written but not yet sent (for callers that pace themselves). */
  get bufferedBytes(): number {
    return this.socket.writableLength;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the stream; resolves once the socket has closed (at most about a second later). */
  close(): Promise<void> {
    if (!this.closed) {
      this.send('</stream:stream>');
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
      this.fail();
    }
    return this.socketClosed;
  }

  /** Drops the connection without a closing tag, like a lost network. */
  destroy(): void {
    this.socket.destroy();
    this.fail();
  }

  private fail(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.parser = undefined;
    this.requests.rejectAll(error ?? new StreamClientError('connection closed'));
    this.onClose(error);
  }
}
