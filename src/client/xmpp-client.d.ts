// The part of @xmpp/client (untyped JavaScript) the printer and the connector use. Only
// interfaces and function declarations, which merge with other declarations.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface XmppElement {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<XmppElement | string>;
    getChild(name: string, xmlns?: string): XmppElement | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    is(name: string, xmlns?: string): boolean;
  }

  export interface XmppJid {
    toString(): string;
    bare(): XmppJid;
  }

  export interface XmppClient extends EventEmitter {
    status: string;
    jid: XmppJid | undefined;
    transports: Array<new (...args: unknown[]) => unknown>;
    reconnect: { stop(): void; start(): void };
    saslFactory: { use(mechanism: unknown): void };
    iqCaller: { request(stanza: XmppElement, timeoutMs?: number): Promise<XmppElement> };
    start(): Promise<XmppJid>;
    stop(): Promise<void>;
    send(element: XmppElement): Promise<void>;
  }

  export interface XmppClientOptions {
    service: string;
    domain?: string;
    resource?: string;
    username?: string;
    password?: string;
    credentials?: (authenticate: (credentials: { username: string; password: string }, mechanism: string) => Promise<void>, mechanisms: string[]) => Promise<void>;
  }

  export function client(options: XmppClientOptions): XmppClient;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Array<XmppElement | string>): XmppElement;
}

declare module '@xmpp/tls/lib/Connection.js' {
  export default class ConnectionTLS {
    socketParameters(service: string): Record<string, unknown> | undefined;
  }
}
