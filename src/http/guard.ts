// Connection limits every HTTP server here shares (the REST API, the IPPS
// listener and the Privet printer's servers): an idle timeout that closes a
// connection on which the client keeps the server waiting, and a cap on the
// connections one source address may hold. Together they stop a slow
// client (half-sent headers or bodies, replies it never reads) from
// exhausting the process's file descriptors and with them every other
// listener. Behind a load balancer
// (trusted proxies) a connection carries the requests of many clients in
// turn: there each request in progress counts for the client its
// X-Forwarded-For names, from its headers to the end of its reply.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TrustedProxies } from '../net/trusted-proxies.ts';

export interface HttpGuardOptions {
  /** Silence after which a connection that waits on its client is closed; 0 = never. */
  idleTimeoutMs: number;
  /** Open connections one source address may hold; 0 = unlimited. */
  maxConnectionsPerAddress: number;
  /** Load balancers (--trusted-proxies), whose connections count per forwarded request instead (HttpGuard.admitForwarded). */
  trustedProxies?: TrustedProxies;
}

export interface HttpGuard {
  /**
   * Counts a request that came through a trusted proxy against `client`, the
   * address its X-Forwarded-For names, until its reply ends; false when that
   * address already holds maxConnectionsPerAddress (the caller refuses the
   * request). Requests on other connections were counted when they connected.
   */
  admitForwarded(req: IncomingMessage, res: ServerResponse, client: string): boolean;
}

/**
 * Whether, after a quiet spell, the server is the one waiting on the client:
 * between requests or in the middle of the request headers, reading a body
 * the client stopped sending, or writing a reply the client does not read.
 * A request whose handler is busy (a Privet registration waiting for the
 * panel, a document held back because the printer is out of paper) is the
 * server's own wait and does not count.
 */
function waitsOnClient(socket: Socket, exchange: { req: IncomingMessage; res: ServerResponse } | undefined): boolean {
  if (!exchange) return true;
  if (socket.writableLength > 0) return true;
  const { req } = exchange;
  // A full request buffer means the server stopped reading (backpressure), not the client.
  return !req.complete && req.readableLength < req.readableHighWaterMark;
}

/**
 * Counts what each source address holds open: `take(address, closed)` counts
 * one more for `address` until `closed` emits 'close', and is false (counting
 * nothing) when the address already holds `max` (0 = unlimited).
 */
export function connectionsPerAddress(max: number): (address: string, closed: NodeJS.EventEmitter) => boolean {
  const perAddress = new Map<string, number>();
  return (address, closed) => {
    if (max <= 0) return true;
    const count = perAddress.get(address) ?? 0;
    if (count >= max) return false;
    perAddress.set(address, count + 1);
    closed.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else perAddress.delete(address);
    });
    return true;
  };
}

export function guardHttpServer(server: Server, options: HttpGuardOptions): HttpGuard {
  const exchanges = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();
  const fromProxy = (socket: Socket) => options.trustedProxies?.(socket.remoteAddress ?? '') === true;
  const take = connectionsPerAddress(options.maxConnectionsPerAddress);

  server.on('connection', (socket: Socket) => {
    if (!fromProxy(socket) && !take(socket.remoteAddress ?? '', socket)) socket.destroy();
  });
  const guard: HttpGuard = { admitForwarded: (req, res, client) => !fromProxy(req.socket) || take(client, res) };

  if (options.idleTimeoutMs <= 0) return guard;
  // node:http arms this on every new socket and re-arms it on any traffic;
  // between two requests of a kept-alive connection it arms keepAliveTimeout.
  server.timeout = options.idleTimeoutMs;
  server.keepAliveTimeout = Math.min(server.keepAliveTimeout, options.idleTimeoutMs);
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    exchanges.set(socket, { req, res });
    res.once('finish', () => {
      if (exchanges.get(socket)?.res === res) exchanges.delete(socket);
    });
  });
  // Sockets whose last quiet spell was the server's own wait. When the server
  // starts reading again, the timer armed during that wait may fire before the
  // client's next bytes arrive: the client then gets a whole idle period more.
  const heldByServer = new WeakSet<Socket>();
  // With a listener here node:http leaves the decision to us (no listener: it destroys the socket).
  server.on('timeout', (socket: Socket) => {
    if (!waitsOnClient(socket, exchanges.get(socket))) heldByServer.add(socket);
    else if (!heldByServer.delete(socket)) return void socket.destroy();
    socket.setTimeout(options.idleTimeoutMs);
  });
  return guard;
}
