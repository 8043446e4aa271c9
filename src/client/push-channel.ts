// A device's XMPP push channel, used by the printer and the connector
// (GCP §c; Privet §6.1): direct TLS to the server, SASL X-OAUTH2 (or PLAIN)
// with the robot's access token, a google:push subscription, pings every
// xmpp_timeout_value seconds, and reconnection forever with a capped
// exponential backoff.
import { readFileSync } from 'node:fs';
import { Element } from 'ltx';
import type { Logger } from '../log.ts';
import { PING_NS, PUSH_CHANNEL, PUSH_NS } from '../protocol/namespaces.ts';
import { NS } from '../xmpp/namespaces.ts';
import { StreamClient } from '../xmpp/client/stream-client.ts';
import { caOptionTrust, certificateAdvice } from '../tls/verify-advice.ts';

/** The GCP 2.0 prototype's pong timeout (GCP §c). */
const PONG_TIMEOUT_MS = 30_000;
/** Limit for TCP, TLS, SASL and binding together (GCP §c dials with a 60 s timeout). */
const NEGOTIATION_TIMEOUT_MS = 30_000;
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 60_000;
const XMPPS_DEFAULT_PORT = 5223;

export type ChannelState = 'connecting' | 'online' | 'offline';

export interface XmppChannelOptions {
  /** xmpps://host:port */
  service: string;
  /** The robot's bare JID. */
  jid: string;
  /** A fresh access token for every (re)connection. */
  password: () => Promise<string>;
  /** Path of a PEM file of extra CA certificates to trust, e.g. the server's DATA/tls/ca.pem. */
  ca?: string;
  resource: string;
  pingIntervalSeconds: () => number;
  log: Logger;
  onState: (state: ChannelState) => void;
  /** The decoded payload of every google:push notification. */
  onPush: (payload: string) => void;
}

/** `xmpps://host[:port]`: TLS from the first byte (GCP §c). */
function parseService(service: string): { host: string; port: number } {
  const url = new URL(service);
  if (url.protocol !== 'xmpps:') throw new Error(`the XMPP push channel needs an xmpps://host:port URL (direct TLS), not ${service}`);
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port) || XMPPS_DEFAULT_PORT };
}

export class XmppChannel {
  private readonly endpoint: { host: string; port: number };
  private readonly ca: Buffer | undefined;
  private client: StreamClient | undefined;
  /** The connection attempt in progress, and how to abort it. */
  private attempt: { done: Promise<void>; abort: AbortController } | undefined;
  private stopped = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  state: ChannelState = 'offline';

  /** Throws on a service that is not xmpps:// and on an unreadable CA file. */
  constructor(private readonly options: XmppChannelOptions) {
    this.endpoint = parseService(options.service);
    this.ca = options.ca ? readFileSync(options.ca) : undefined;
  }

  start(): void {
    this.stopped = false;
    this.connectNow();
  }

  private setState(state: ChannelState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onState(state);
  }

  private connectNow(): void {
    const abort = new AbortController();
    const attempt = { abort, done: this.connect(abort.signal).finally(() => this.attempt === attempt && (this.attempt = undefined)) };
    this.attempt = attempt;
  }

  private async connect(signal: AbortSignal): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting');
    const { jid, resource, log } = this.options;
    const [local, domain] = jid.split('@') as [string, string];
    let password: string;
    try {
      password = await this.options.password();
    } catch (error) {
      log.warn({ err: error }, 'cannot get credentials for the XMPP channel');
      return this.retry();
    }
    let client: StreamClient | undefined;
    try {
      client = await StreamClient.connect(
        { ...this.endpoint, ca: this.ca, domain, username: local, password, resource, mechanisms: ['X-OAUTH2', 'PLAIN'], timeoutMs: NEGOTIATION_TIMEOUT_MS, signal },
        (stanza) => this.onStanza(stanza, (reply) => client?.send(reply.toString())),
      );
      if (this.stopped) return void (await client.close());
      this.client = client;
      const connected = client;
      client.onClose = () => this.lost(connected);
      // GCP §c: subscribe to the push channel with an iq to the bare JID.
      await client.request(new Element('iq', { type: 'set', to: jid }).c('subscribe', { xmlns: PUSH_NS }).c('item', { channel: PUSH_CHANNEL, from: PUSH_CHANNEL }).root(), PONG_TIMEOUT_MS);
      this.failures = 0;
      this.setState('online');
      log.info({ jid }, 'XMPP channel online');
      this.schedulePing(client);
    } catch (error) {
      if (this.stopped) return;
      const advice = certificateAdvice(error, this.endpoint.host, caOptionTrust(this.options.ca));
      if (advice) log.error({ err: (error as Error).message, service: this.options.service, advice }, 'XMPP connection failed: certificate not verified');
      else log.warn({ err: (error as Error).message }, 'XMPP connection failed');
      if (!client) {
        this.setState('offline');
        this.retry();
      } else if (this.client === client) {
        this.client = undefined;
        await client.close();
        this.setState('offline');
        this.retry();
      }
    }
  }

  /** The connection closed, or a ping went unanswered: start over. */
  private lost(client: StreamClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearTimeout(this.pingTimer);
    this.setState('offline');
    this.retry();
  }

  private retry(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.failures++);
    this.retryTimer = setTimeout(() => this.connectNow(), base * (0.5 + Math.random() / 2));
  }

  /** Privet §6.1: the ping interval is xmpp_timeout_value; a missed pong drops the connection. */
  private schedulePing(client: StreamClient): void {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(async () => {
      if (this.client !== client) return;
      try {
        await client.request(new Element('iq', { type: 'get', to: PUSH_CHANNEL }).c('ping', { xmlns: PING_NS }).root(), PONG_TIMEOUT_MS);
        this.schedulePing(client);
      } catch (error) {
        if (this.client !== client) return;
        this.options.log.warn({ err: (error as Error).message }, 'XMPP ping unanswered: reconnecting');
        await client.close(); // onClose: lost()
      }
    }, this.options.pingIntervalSeconds() * 1000);
  }

  /** Called when xmpp_timeout_value changes: the next ping follows the new interval. */
  reschedulePing(): void {
    if (this.client && this.state === 'online') this.schedulePing(this.client);
  }

  private onStanza(stanza: Element, reply: (stanza: Element) => void): void {
    if (stanza.is('iq')) return this.refuseRequest(stanza, reply);
    if (!stanza.is('message')) return;
    // Only the channel subscribed to sends notifications (GCP §c:
    // from="cloudprint.google.com"); the server stamps any other sender's own JID
    // in `from`, so a push-shaped message from an account is ignored.
    if (stanza.attrs.from?.toLowerCase() !== PUSH_CHANNEL) {
      if (stanza.getChild('push')) this.options.log.warn({ from: stanza.attrs.from }, 'ignored a push that did not come from the push channel');
      return;
    }
    // GCP §c: message/push/data, base64.
    const push = stanza.getChild('push', PUSH_NS) ?? stanza.getChild('push');
    const data = push?.getChildText('data');
    if (!data) return;
    this.options.onPush(Buffer.from(data, 'base64').toString('utf8'));
  }

  /** RFC 6120 §8.2.3: an IQ get or set nobody here handles gets service-unavailable (pings are answered by the stream). */
  private refuseRequest(iq: Element, reply: (stanza: Element) => void): void {
    if (iq.attrs.type !== 'get' && iq.attrs.type !== 'set') return;
    const answer = new Element('iq', { type: 'error', id: iq.attrs.id ?? '', ...(iq.attrs.from ? { to: iq.attrs.from } : {}) });
    answer.c('error', { type: 'cancel' }).c('service-unavailable', { xmlns: NS.stanzas });
    reply(answer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.pingTimer);
    const attempt = this.attempt;
    attempt?.abort.abort();
    const client = this.client;
    this.client = undefined;
    await Promise.all([attempt?.done, client?.close()]);
    this.setState('offline');
  }
}
