// The device SDK: register for a sender over HTTP, then hold the XMPP session
// that receives downstream messages (ACKed automatically unless told not to)
// and sends upstream messages (resolved on the server's ACK).
//
//   const reg = await CcsDevice.register(baseUrl, { sender, app });
//   const device = new CcsDevice({ host, port, ca, jid: reg.jid, password: reg.password! });
//   device.on('message', (m) => …);
//   await device.connect();
//   await device.send({ to: `${sender}@gcm.googleapis.com`, message_id: 'u-1', data: { hi: '1' } });
import { EventEmitter } from 'node:events';
import { StreamClient, type StreamClientOptions } from '../../xmpp/client/stream-client.ts';
import { gcmJson, gcmStanza } from '../../protocol/gcm-stanza.ts';

export interface DeviceRegistration {
  registration_id: string;
  sender: string;
  app: string;
  jid: string;
  /** Only for a new device (no token given): its XMPP password and HTTP bearer token. */
  password?: string;
}

/** A downstream message as the device receives it. */
export interface DownstreamMessage {
  message_id: string;
  /** The sender ID, or `/topics/NAME` for a topic message. */
  from: string;
  category: string;
  collapse_key?: string;
  priority: 'normal' | 'high';
  data?: Record<string, unknown>;
  notification?: Record<string, unknown>;
  content_available?: boolean;
  mutable_content?: boolean;
  sent: number;
  time_to_live: number;
}

export interface UpstreamRequest {
  /** `SENDER_ID@gcm.googleapis.com` (or just the sender ID). */
  to: string;
  message_id: string;
  data?: Record<string, string>;
  time_to_live?: number;
}

export class CcsNackError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    readonly messageId: string,
  ) {
    super(`${code}: ${description}`);
  }
}

export interface CcsDeviceOptions extends Omit<StreamClientOptions, 'username' | 'password' | 'domain'> {
  /** The device JID from registration: `LOCAL@DOMAIN`. */
  jid: string;
  password: string;
  /** ACK every downstream message as soon as the 'message' listeners ran (default true). */
  autoAck?: boolean;
}

interface DeviceEvents {
  message: [DownstreamMessage];
  close: [Error | undefined];
}

async function call(baseUrl: string, method: string, path: string, body: Record<string, string>, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(new URL(path, baseUrl), {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${String(json.error)} ${String(json.error_description ?? '')}`);
  return json;
}

export class CcsDevice extends EventEmitter<DeviceEvents> {
  private client: StreamClient | undefined;
  private readonly upstream = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(private readonly options: CcsDeviceOptions) {
    super();
  }

  /** Registers for a sender's app; pass the device's token to add a registration to an existing device. */
  static async register(baseUrl: string, params: { sender: string; app: string }, token?: string): Promise<DeviceRegistration> {
    return (await call(baseUrl, 'POST', '/ccs/register', params, token)) as unknown as DeviceRegistration;
  }

  static async unregister(baseUrl: string, token: string, params: { sender: string; app: string }): Promise<void> {
    await call(baseUrl, 'DELETE', '/ccs/register', params, token);
  }

  static async subscribe(baseUrl: string, token: string, registrationId: string, topic: string): Promise<void> {
    await call(baseUrl, 'POST', '/ccs/topics', { registration_id: registrationId, topic }, token);
  }

  static async unsubscribe(baseUrl: string, token: string, registrationId: string, topic: string): Promise<void> {
    await call(baseUrl, 'DELETE', '/ccs/topics', { registration_id: registrationId, topic }, token);
  }

  async connect(): Promise<void> {
    const [local = '', domain = ''] = this.options.jid.split('@');
    // Queued messages may arrive before the session IQ's answer: handled once connected.
    const early: Record<string, unknown>[] = [];
    let connected = false;
    const client = await StreamClient.connect({ ...this.options, domain, username: local, password: this.options.password }, (stanza) => {
      const json = gcmJson(stanza);
      if (json && connected) this.receive(json);
      else if (json) early.push(json);
    });
    this.client = client;
    connected = true;
    for (const json of early) this.receive(json);
    client.onClose = (error) => {
      for (const pending of this.upstream.values()) pending.reject(new Error('connection closed before the server ACKed'));
      this.upstream.clear();
      this.emit('close', error);
    };
  }

  private receive(json: Record<string, unknown>): void {
    const type = json.message_type;
    const id = String(json.message_id ?? '');
    if (type === 'ack' || type === 'nack') {
      const pending = this.upstream.get(id);
      this.upstream.delete(id);
      if (type === 'ack') pending?.resolve();
      else pending?.reject(new CcsNackError(String(json.error), String(json.error_description ?? ''), id));
      return;
    }
    if (type !== undefined) return;
    const message = json as unknown as DownstreamMessage;
    this.emit('message', message);
    if (this.options.autoAck !== false) this.ack(message.message_id);
  }

  ack(messageId: string): void {
    this.write({ message_type: 'ack', message_id: messageId });
  }

  /** Sends an upstream message; resolves once the server stored it. */
  send(request: UpstreamRequest): Promise<void> {
    return new Promise((resolve, reject) => {
      this.upstream.set(request.message_id, { resolve, reject });
      this.write(request as unknown as Record<string, unknown>);
    });
  }

  /** An idle device is not sent delay_while_idle messages until it is active again. */
  setIdle(idle: boolean): void {
    this.write({ message_type: 'control', control_type: idle ? 'DEVICE_IDLE' : 'DEVICE_ACTIVE' });
  }

  private write(json: Record<string, unknown>): void {
    if (!this.client) throw new Error('not connected');
    this.client.send(gcmStanza(JSON.stringify(json)));
  }

  get connected(): boolean {
    return this.client !== undefined && !this.client.isClosed;
  }

  close(): void {
    this.client?.close();
  }

  /** Drops the connection without closing the stream, like a device losing its network. */
  drop(): void {
    this.client?.destroy();
  }
}
