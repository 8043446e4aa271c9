// Shared set-up of the CCS tests: a real server, a sender, and devices that
// register over HTTP and connect over TLS to the c2s port with the device SDK.
import { readFileSync } from 'node:fs';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { Senders } from '../../src/ccs/service/senders.ts';
import { CcsDevice, type DeviceRegistration, type DownstreamMessage } from '../../src/ccs/sdk/device.ts';
import type { ServerConfig } from '../../src/config.ts';
import type { Element } from 'ltx';
import { StreamClient } from '../../src/xmpp/client/stream-client.ts';
import { gcmStanza, gcmText } from '../../src/protocol/gcm-stanza.ts';

export interface TestDevice {
  registration: DeviceRegistration;
  device: CcsDevice;
  /** Messages received so far. */
  received: DownstreamMessage[];
  /** Resolves with the next `n` messages received from now on (or already queued). */
  next(n?: number, timeoutMs?: number): Promise<DownstreamMessage[]>;
  reconnect(): Promise<void>;
}

export async function startCcsServer(overrides: Partial<ServerConfig> = {}): Promise<TestServer & { senderId: string; apiKey: string; ca: string }> {
  const server = await startTestServer({ ccsPlainPort: -1, ...overrides });
  const { sender_id, api_key } = await new Senders(server.context.store.db).create('test app');
  return Object.assign(server, { senderId: sender_id, apiKey: api_key, ca: readFileSync(server.context.tls.caPath ?? '', 'utf8') });
}

export async function connectDevice(server: TestServer & { ca: string }, registration: DeviceRegistration, options: { autoAck?: boolean } = {}, onMessage?: (m: DownstreamMessage) => void): Promise<CcsDevice> {
  const device = new CcsDevice({ host: '127.0.0.1', port: server.ports.xmpps!, ca: server.ca, jid: registration.jid, password: registration.password!, ...options });
  if (onMessage) device.on('message', onMessage);
  await device.connect();
  return device;
}

export async function newDevice(server: TestServer & { senderId: string; ca: string }, options: { app?: string; autoAck?: boolean; connect?: boolean } = {}): Promise<TestDevice> {
  const registration = await CcsDevice.register(server.url, { sender: server.senderId, app: options.app ?? 'com.example.app' });
  const received: DownstreamMessage[] = [];
  let cursor = 0;
  const waiters: Array<() => void> = [];
  const result: TestDevice = {
    registration,
    device: undefined as unknown as CcsDevice,
    received,
    async next(n = 1, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length - cursor < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} message(s), got ${received.length - cursor}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      const out = received.slice(cursor, cursor + n);
      cursor += n;
      return out;
    },
    async reconnect() {
      result.device = await connectDevice(server, registration, options, (m) => {
        received.push(m);
        waiters.splice(0).forEach((w) => w());
      });
    },
  };
  if (options.connect !== false) await result.reconnect();
  return result;
}

/** Waits `ms` to let something that should not happen have its chance. */
export const settle = (ms = 300) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw app-server stream (SDK's StreamClient): what the server sends, stanza by stanza. */
export interface RawApp {
  client: StreamClient;
  send(json: Record<string, unknown> | string, id?: string): void;
  /** The next `<gcm>` JSON (or stanza) received; fails after `timeoutMs`. */
  nextStanza(timeoutMs?: number): Promise<Element>;
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Asserts nothing arrives for `ms`. */
  quiet(ms?: number): Promise<void>;
}

export async function rawApp(server: TestServer & { senderId: string; apiKey: string; ca: string }, username = `${server.senderId}@gcm.googleapis.com`): Promise<RawApp> {
  const inbox: Element[] = [];
  let wake: (() => void) | undefined;
  const client = await StreamClient.connect({ host: '127.0.0.1', port: server.ports.ccs!, ca: server.ca, domain: 'gcm.googleapis.com', username, password: server.apiKey }, (stanza) => {
    inbox.push(stanza);
    wake?.();
  });
  const nextStanza = async (timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    while (!inbox.length) {
      if (Date.now() > deadline) throw new Error('no stanza from the CCS');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return inbox.shift()!;
  };
  return {
    client,
    send(json, id) {
      client.send(gcmStanza(typeof json === 'string' ? json : JSON.stringify(json), id !== undefined ? { id } : {}));
    },
    nextStanza,
    async next(timeoutMs) {
      const stanza = await nextStanza(timeoutMs);
      return JSON.parse(gcmText(stanza) ?? 'null') as Record<string, unknown>;
    },
    async quiet(ms = 300) {
      await settle(ms);
      if (inbox.length) throw new Error(`unexpected stanza: ${inbox[0]!.toString()}`);
    },
  };
}
