// The app-server SDK: one logical sender connection to the CCS that keeps at
// most `window` downstream messages un-ACKed (§5), retries SERVICE_UNAVAILABLE
// and INTERNAL_SERVER_ERROR with exponential backoff (§4.2), moves to a new
// connection when the server drains the current one (§4.5), reconnects at
// once after a drop and resends whatever saw no ACK or NACK, and ACKs
// upstream messages and receipts (unless told not to).
//
//   const app = new CcsAppServer({ host, port, ca, senderId, apiKey });
//   app.on('upstream', (m) => …);
//   await app.connect();
//   await app.send({ to: token, data: { hello: 'world' } });
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { StreamClient, type StreamClientOptions } from '../../xmpp/client/stream-client.ts';
import { gcmJson, gcmStanza } from '../../protocol/gcm-stanza.ts';
import { CcsNackError } from './device.ts';

export { CcsNackError };

export interface CcsAppServerOptions extends Omit<StreamClientOptions, 'username' | 'password' | 'domain'> {
  senderId: string;
  apiKey: string;
  /** Stream `to` and login domain; the original's name by default. */
  domain?: string;
  /** Un-ACKed downstream messages per connection (default 100). */
  window?: number;
  /** Retries of a retryable NACK before giving up (default 5). */
  maxRetries?: number;
  /** First backoff delay; doubles on each retry (default 1000 ms, §4.2). */
  initialBackoffMs?: number;
  /** ACK upstream messages and receipts once the listeners ran (default true). */
  autoAck?: boolean;
}

export interface UpstreamMessage {
  from: string;
  category: string;
  message_id: string;
  data: Record<string, unknown>;
}

export interface Receipt {
  message_id: string;
  from: string;
  category: string;
  data: { message_status: string; original_message_id: string; device_registration_id: string };
}

/** A downstream request (§3); message_id is generated when absent. */
export type DownstreamMessage = Record<string, unknown> & { message_id?: string };

interface AppServerEvents {
  upstream: [UpstreamMessage];
  receipt: [Receipt];
  draining: [];
  close: [];
  error: [Error];
}

interface Pending {
  json: Record<string, unknown> & { message_id: string };
  attempts: number;
  resolve: (ack: Record<string, unknown>) => void;
  reject: (error: Error) => void;
}

interface Connection {
  client: StreamClient;
  inflight: Map<string, Pending>;
  draining: boolean;
}

const RETRYABLE = new Set(['SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR']);

export class CcsAppServer extends EventEmitter<AppServerEvents> {
  private active: Connection | undefined;
  private readonly queue: Pending[] = [];
  private readonly connections = new Set<Connection>();
  private stopped = false;
  private connecting: Promise<void> | undefined;

  constructor(private readonly options: CcsAppServerOptions) {
    super();
  }

  async connect(): Promise<void> {
    this.stopped = false;
    await this.open();
  }

  private open(): Promise<void> {
    return (this.connecting ??= (async () => {
      try {
        const domain = this.options.domain ?? 'gcm.googleapis.com';
        let connection: Connection | undefined;
        const early: Record<string, unknown>[] = [];
        const client = await StreamClient.connect({ ...this.options, domain, username: `${this.options.senderId}@${domain}`, password: this.options.apiKey }, (stanza) => {
          const json = gcmJson(stanza);
          if (!json) return;
          if (connection) this.receive(connection, json);
          else early.push(json);
        });
        connection = { client, inflight: new Map(), draining: false };
        this.connections.add(connection);
        for (const json of early) this.receive(connection, json);
        client.onClose = () => this.closed(connection!);
        this.active = connection;
        this.pump();
      } finally {
        this.connecting = undefined;
      }
    })());
  }

  /** Sends a downstream message; resolves with the ACK, rejects with CcsNackError. */
  send(message: DownstreamMessage): Promise<Record<string, unknown>> {
    const json = { ...message, message_id: message.message_id ?? `m-${randomBytes(8).toString('hex')}` };
    return new Promise((resolve, reject) => {
      this.queue.push({ json, attempts: 0, resolve, reject });
      this.pump();
    });
  }

  /** Downstream messages waiting for room in the window or for a connection. */
  get queued(): number {
    return this.queue.length;
  }

  private get window(): number {
    return this.options.window ?? 100;
  }

  private pump(): void {
    const connection = this.active;
    if (!connection || connection.draining || connection.client.isClosed) return;
    while (this.queue.length && connection.inflight.size < this.window) {
      const pending = this.queue.shift()!;
      connection.inflight.set(pending.json.message_id, pending);
      connection.client.send(gcmStanza(JSON.stringify(pending.json)));
    }
  }

  private receive(connection: Connection, json: Record<string, unknown>): void {
    switch (json.message_type) {
      case 'ack':
      case 'nack':
        return this.answered(connection, json);
      case 'receipt':
        this.emit('receipt', json as unknown as Receipt);
        return this.autoAck(connection, json);
      case 'control':
        if (json.control_type === 'CONNECTION_DRAINING') this.drained(connection);
        return;
      case undefined:
        this.emit('upstream', json as unknown as UpstreamMessage);
        return this.autoAck(connection, json);
      default:
        return; // §2: unknown message types are ignored
    }
  }

  private autoAck(connection: Connection, json: Record<string, unknown>): void {
    if (this.options.autoAck !== false) this.ackOn(connection, String(json.from ?? ''), String(json.message_id));
  }

  /** ACKs an upstream message or receipt; ACKs never count against the window (§5). */
  ack(to: string, messageId: string): void {
    const connection = [...this.connections].find((c) => !c.client.isClosed);
    if (connection) this.ackOn(connection, to, messageId);
  }

  private ackOn(connection: Connection, to: string, messageId: string): void {
    connection.client.send(gcmStanza(JSON.stringify({ to, message_id: messageId, message_type: 'ack' })));
  }

  private answered(connection: Connection, json: Record<string, unknown>): void {
    const id = String(json.message_id);
    const pending = connection.inflight.get(id);
    if (!pending) return;
    connection.inflight.delete(id);
    if (json.message_type === 'ack') pending.resolve(json);
    else {
      const code = String(json.error);
      if (code === 'CONNECTION_DRAINING') this.queue.unshift(pending);
      else if (RETRYABLE.has(code) && pending.attempts < (this.options.maxRetries ?? 5)) {
        const delay = (this.options.initialBackoffMs ?? 1000) * 2 ** pending.attempts++;
        setTimeout(() => {
          this.queue.unshift(pending);
          this.pump();
        }, delay);
      } else pending.reject(new CcsNackError(code, String(json.error_description ?? ''), id));
    }
    this.pump();
  }

  /** §4.5: stop sending on the draining connection, open another; the old one closes by itself. */
  private drained(connection: Connection): void {
    connection.draining = true;
    this.emit('draining');
    if (this.active === connection) {
      this.active = undefined;
      this.reopen();
    }
  }

  private closed(connection: Connection): void {
    this.connections.delete(connection);
    // §5: what saw neither ACK nor NACK is sent again on the next connection.
    this.queue.unshift(...connection.inflight.values());
    connection.inflight.clear();
    if (this.active === connection) {
      this.active = undefined;
      this.reopen();
    }
    if (this.stopped && this.connections.size === 0) this.emit('close');
  }

  /** §1 "immediately reconnect" after losing an authenticated connection; retried while it fails. */
  private reopen(attempt = 0): void {
    if (this.stopped) return;
    this.open().then(
      () => {},
      (error: Error) => {
        if (this.listenerCount('error')) this.emit('error', error);
        setTimeout(() => this.reopen(attempt + 1), Math.min(30_000, 100 * 2 ** attempt)).unref();
      },
    );
  }

  /** Closes every connection; queued messages are rejected. */
  close(): void {
    this.stopped = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('app server closed'));
    for (const connection of this.connections) {
      for (const pending of connection.inflight.values()) pending.reject(new Error('app server closed'));
      connection.inflight.clear();
      connection.client.close();
    }
  }
}
