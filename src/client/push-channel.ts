// A device's XMPP push channel, used by the printer and the connector
// (cloudprint-protocol §c; Privet §6.1): direct TLS to the server, SASL with
// the robot's access token, a google:push subscription, pings every
// xmpp_timeout_value seconds, and reconnection forever with a capped
// exponential backoff.
import { readFileSync } from 'node:fs';
import { client as xmppClient, xml, type XmppClient, type XmppElement } from '@xmpp/client';
import ConnectionTLS from '@xmpp/tls/lib/Connection.js';
import type { Logger } from '../log.ts';
import { caOptionTrust, certificateAdvice } from '../tls/verify-advice.ts';

const PUSH_NS = 'google:push';
const PING_NS = 'urn:xmpp:ping';
const CHANNEL = 'cloudprint.google.com';
/** The GCP 2.0 prototype's pong timeout (cloudprint-protocol §c). */
const PONG_TIMEOUT_MS = 30_000;
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

/** The X-OAUTH2 SASL mechanism GCP used: "\0" user "\0" access token. */
function XOAuth2(): void {}
XOAuth2.prototype.name = 'X-OAUTH2';
XOAuth2.prototype.clientFirst = true;
XOAuth2.prototype.response = function (credentials: { username: string; password: string }): string {
  return `\0${credentials.username}\0${credentials.password}`;
};
XOAuth2.prototype.challenge = function (): void {};

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

export class XmppChannel {
  private client: XmppClient | undefined;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  state: ChannelState = 'offline';

  constructor(private readonly options: XmppChannelOptions) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  private setState(state: ChannelState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onState(state);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    this.setState('connecting');
    const { jid, service, ca, resource, log } = this.options;
    const [local, domain] = jid.split('@') as [string, string];
    let client: XmppClient;
    try {
      const password = await this.options.password();
      client = xmppClient({
        service,
        domain,
        resource,
        credentials: (authenticate, mechanisms) =>
          authenticate({ username: local, password }, mechanisms.includes('X-OAUTH2') ? 'X-OAUTH2' : 'PLAIN'),
      });
    } catch (error) {
      log.warn({ err: error }, 'cannot get credentials for the XMPP channel');
      return this.retry();
    }
    client.saslFactory.use(XOAuth2);
    if (ca) client.transports.unshift(trustingTransport(ca));
    client.reconnect.stop(); // we reconnect ourselves, with backoff and fresh tokens
    this.client = client;
    client.on('error', (error: Error) => log.debug({ err: error }, 'xmpp error'));
    // 'disconnect' is a lost socket, 'offline' a stop(): either way, start over.
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      clearTimeout(this.pingTimer);
      void client.stop().catch(() => {});
      this.setState('offline');
      this.retry();
    };
    client.on('disconnect', lost);
    client.on('offline', lost);
    client.on('stanza', (stanza: XmppElement) => this.onStanza(stanza));
    try {
      await client.start();
      // cloudprint-protocol §c: subscribe to the push channel with an iq to the bare JID.
      await client.iqCaller.request(
        xml('iq', { type: 'set', to: jid }, xml('subscribe', { xmlns: PUSH_NS }, xml('item', { channel: CHANNEL, from: CHANNEL }))),
        PONG_TIMEOUT_MS,
      );
      this.attempt = 0;
      this.setState('online');
      log.info({ jid }, 'XMPP channel online');
      this.schedulePing(client);
    } catch (error) {
      const advice = certificateAdvice(error, new URL(service).hostname.replace(/^\[(.*)\]$/, '$1'), caOptionTrust(ca));
      if (advice) log.error({ err: (error as Error).message, service, advice }, 'XMPP connection failed: certificate not verified');
      else log.warn({ err: (error as Error).message }, 'XMPP connection failed');
      if (this.client === client) {
        this.client = undefined;
        await client.stop().catch(() => {});
        this.setState('offline');
        this.retry();
      }
    }
  }

  private retry(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => void this.connect(), base * (0.5 + Math.random() / 2));
  }

  /** Privet §6.1: the ping interval is xmpp_timeout_value; a missed pong drops the connection. */
  private schedulePing(client: XmppClient): void {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(async () => {
      if (this.client !== client) return;
      try {
        await client.iqCaller.request(xml('iq', { type: 'get', to: CHANNEL }, xml('ping', { xmlns: PING_NS })), PONG_TIMEOUT_MS);
        this.schedulePing(client);
      } catch (error) {
        this.options.log.warn({ err: (error as Error).message }, 'XMPP ping unanswered: reconnecting');
        await client.stop().catch(() => {});
      }
    }, this.options.pingIntervalSeconds() * 1000);
  }

  /** Called when xmpp_timeout_value changes: the next ping follows the new interval. */
  reschedulePing(): void {
    if (this.client && this.state === 'online') this.schedulePing(this.client);
  }

  private onStanza(stanza: XmppElement): void {
    if (!stanza.is('message')) return;
    // cloudprint-protocol §c: message/push/data, base64.
    const push = stanza.getChild('push', PUSH_NS) ?? stanza.getChild('push');
    const data = push?.getChildText('data');
    if (!data) return;
    this.options.onPush(Buffer.from(data, 'base64').toString('utf8'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.pingTimer);
    const client = this.client;
    this.client = undefined;
    if (client) await client.stop().catch(() => {});
    this.setState('offline');
  }
}

/** A direct-TLS transport that also trusts `caFile`'s certificates (@xmpp/tls trusts system CAs only). */
function trustingTransport(caFile: string): new (...args: unknown[]) => unknown {
  const ca = readFileSync(caFile);
  return class TrustingTLS extends ConnectionTLS {
    override socketParameters(service: string): Record<string, unknown> | undefined {
      const params = super.socketParameters(service);
      return params && { ...params, ca };
    }
  } as unknown as new (...args: unknown[]) => unknown;
}
