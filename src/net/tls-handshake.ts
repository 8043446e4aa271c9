// The server side of TLS from the first byte on a socket a listener has
// already accepted (after a PROXY protocol header, ./proxy-protocol.ts): what
// a tls.Server does for its own sockets, with its handshake timeout.
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';

/** Resolves with the socket once the handshake is done; destroys it and rejects on a failure or after `timeoutMs`. */
export function serverTls(raw: Socket, secureContext: SecureContext | undefined, timeoutMs: number): Promise<TLSSocket> {
  const socket = new TLSSocket(raw, { isServer: true, secureContext });
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(() => fail(new Error(`no TLS handshake in ${timeoutMs} ms`)), timeoutMs).unref();
    // Also after the handshake: an error destroys the socket (as its reader would), and is never thrown.
    socket.on('error', fail);
    socket.once('close', () => fail(new Error('closed during the TLS handshake')));
    socket.once('secure', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}
