// The part of @xmpp/client (untyped JavaScript) that the interop peers use:
// xmpp-js-device.ts and ccs-xmppjs-appserver.ts run it as an independent,
// third-party client against `ocp server`. Nothing in src/ uses it.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';

  export interface XmppElement {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<XmppElement | string>;
    getChild(name: string, xmlns?: string): XmppElement | undefined;
    getChildText(name: string, xmlns?: string): string | null;
    is(name: string, xmlns?: string): boolean;
  }

  export interface XmppJid {
    toString(): string;
    bare(): XmppJid;
  }

  export interface XmppClient extends EventEmitter {
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
  }

  export function client(options: XmppClientOptions): XmppClient;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: Array<XmppElement | string>): XmppElement;
}
