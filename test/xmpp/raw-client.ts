// A byte-level XMPP client for tests: sends exactly what it is given and
// waits for patterns in what the server sends, over TCP, STARTTLS or TLS.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { TestServer } from '../helpers/server.ts';

/** Where a connection comes from: a loopback source address, and what a load balancer writes first (a PROXY protocol header). */
export interface From {
  localAddress?: string;
  proxyHeader?: Buffer;
}

async function connectFrom(port: number, { localAddress = '127.0.0.1', proxyHeader }: From): Promise<Socket> {
  const socket = tcpConnect({ host: '127.0.0.1', port, localAddress });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  if (proxyHeader) socket.write(proxyHeader);
  return socket;
}

export class RawClient {
  /** Everything received and not yet consumed by expect(). */
  buffer = '';
  readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];
  private ended = false;

  private constructor(
    private socket: Socket,
    private readonly ca: Buffer,
  ) {
    this.closed = new Promise((resolve) => {
      this.listen(socket);
      socket.once('close', () => {
        this.ended = true;
        for (const wake of this.waiters.splice(0)) wake();
        resolve();
      });
    });
  }

  private listen(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.buffer += text;
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
  }

  static async tls(server: TestServer, port = server.ports.xmpps!, from: From = {}): Promise<RawClient> {
    return RawClient.tlsTo(port, readFileSync(server.context.tls.caPath!), from);
  }

  /** Direct TLS to `port` of any server whose certificate `ca` issued (a cluster's balancer). */
  static async tlsTo(port: number, ca: Buffer, from: From = {}): Promise<RawClient> {
    const socket = tlsConnect({ socket: await connectFrom(port, from), ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    return new RawClient(socket, ca);
  }

  static async tcp(server: TestServer, port = server.ports.xmpp!, from: From = {}): Promise<RawClient> {
    const ca = readFileSync(server.context.tls.caPath!);
    return new RawClient(await connectFrom(port, from), ca);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits until `pattern` matches the unconsumed input; consumes up to the end of the match. */
  async expect(pattern: RegExp, timeoutMs = 5000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.buffer);
      if (match) {
        this.buffer = this.buffer.slice(match.index + match[0].length);
        return match;
      }
      if (this.ended) throw new Error(`connection closed while waiting for ${pattern}; got: ${this.buffer}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; got: ${this.buffer}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Upgrades to TLS after the server's <proceed/>. */
  async startTls(): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    const secure: TLSSocket = tlsConnect({ socket: raw, ca: this.ca, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    this.socket = secure;
    this.listen(secure);
  }

  close(): void {
    this.socket.destroy();
  }
}

export const STREAM_OPEN = (domain = 'localhost') =>
  `<stream:stream xmlns="jabber:client" to="${domain}" xml:lang="en" version="1.0" xmlns:stream="http://etherx.jabber.org/streams">`;

export function plainAuth(local: string, secret: string, mechanism = 'PLAIN'): string {
  return `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="${mechanism}">${Buffer.from(`\0${local}\0${secret}`).toString('base64')}</auth>`;
}

/** Sends a stream header and waits for the features. */
export async function openStream(client: RawClient, header = STREAM_OPEN()): Promise<void> {
  client.send(header);
  await client.expect(/<\/stream:features>/);
}

/** Opens a stream, authenticates with PLAIN and restarts the stream (ready to bind). */
export async function authenticateRaw(client: RawClient, local: string, token: string, header = STREAM_OPEN()): Promise<void> {
  await openStream(client, header);
  client.send(plainAuth(local, token));
  await client.expect(/<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"\/>/);
  await openStream(client, header);
}

/** Opens a stream, authenticates and binds; returns the full JID. */
export async function loginRaw(client: RawClient, local: string, token: string, resource = 'res'): Promise<string> {
  await authenticateRaw(client, local, token);
  client.send(`<iq type="set" id="bind"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>${resource}</resource></bind></iq>`);
  const [, jid] = await client.expect(/<jid>([^<]+)<\/jid>/);
  return jid!;
}
