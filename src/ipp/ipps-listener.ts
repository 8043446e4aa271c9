// The IPPS listener [RFC 7472 §4]: HTTP over TLS from the first byte, on a
// port of its own (--ipps-port). Behind a load balancer in TCP mode, each
// connection from a trusted proxy begins with its PROXY protocol header
// (src/net/proxy-protocol.ts), which names the client: that address is what
// the per-address connection cap counts and what IPP is told. The TLS
// handshake has --http-idle-timeout to finish; after it, the connection has
// the idle timeout of every HTTP server here (src/http/guard.ts).
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import { connectionsPerAddress, guardHttpServer } from '../http/guard.ts';
import type { Logger } from '../log.ts';
import { clientAddress, type ProxyProtocolOptions } from '../net/proxy-protocol.ts';
import { serverTls } from '../net/tls-handshake.ts';

/** node:https's own handshake timeout, for a server whose idle timeout is off. */
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 120_000;

export interface IppsListenerOptions {
  tls: { cert: string; key: string };
  /** The trusted proxies' PROXY headers (--trusted-proxies); undefined: none. */
  proxyProtocol: ProxyProtocolOptions | undefined;
  /** --http-idle-timeout, in ms; 0 = never. */
  idleTimeoutMs: number;
  /** --http-max-connections-per-address; 0 = unlimited. */
  maxConnectionsPerAddress: number;
  log: Logger;
}

export type IppsRequestHandler = (req: IncomingMessage, res: ServerResponse, clientAddress: string) => void;

export class IppsListener {
  private readonly tcp = createTcpServer((raw) => this.admit(raw));
  private readonly http;
  private readonly secureContext;
  private readonly take;
  /** The client each TLS connection is for (its PROXY header's, or its peer's). */
  private readonly clients = new WeakMap<Socket, string>();
  /** Every connection from accept to close, so that close() ends them all. */
  private readonly open = new Set<Socket>();

  constructor(
    private readonly options: IppsListenerOptions,
    onRequest: IppsRequestHandler,
  ) {
    this.secureContext = createSecureContext({ cert: options.tls.cert, key: options.tls.key });
    this.take = connectionsPerAddress(options.maxConnectionsPerAddress);
    this.http = createHttpServer((req, res) => onRequest(req, res, this.clients.get(req.socket) ?? req.socket.remoteAddress ?? ''));
    guardHttpServer(this.http, { idleTimeoutMs: options.idleTimeoutMs, maxConnectionsPerAddress: 0 });
  }

  /** Listens on `port` (0 = a free one) and resolves with the port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, host, () => {
        this.tcp.off('error', reject);
        resolve((this.tcp.address() as AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    for (const socket of this.open) socket.destroy();
    await closed;
  }

  private admit(raw: Socket): void {
    this.open.add(raw);
    raw.once('close', () => this.open.delete(raw));
    raw.on('error', () => raw.destroy());
    const { proxyProtocol, idleTimeoutMs, log } = this.options;
    clientAddress(raw, proxyProtocol).then(
      (client) => {
        if (!this.take(client, raw)) return void raw.destroy();
        serverTls(raw, this.secureContext, idleTimeoutMs || DEFAULT_HANDSHAKE_TIMEOUT_MS).then(
          (socket) => {
            this.clients.set(socket, client);
            this.http.emit('connection', socket);
          },
          (error: Error) => log.debug({ err: error, listener: 'ipps' }, 'ipps TLS handshake failed'),
        );
      },
      (error: Error) => log.warn({ listener: 'ipps', peer: raw.remoteAddress, err: error.message }, 'connection from a trusted proxy refused'),
    );
  }
}
