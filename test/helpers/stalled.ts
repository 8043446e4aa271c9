// Clients that start an HTTP request and then stop sending: the slow-client
// attack the idle timeout and the per-address connection cap stop.
import { connect, type Socket } from 'node:net';

export interface StalledClient {
  socket: Socket;
  /** Resolves when the connection is closed (by the server, or by `destroy`). */
  closed: Promise<void>;
}

/** Opens one connection from `localAddress` and writes `head` (a request cut short). */
export async function openStalled(port: number, head: string, localAddress = '127.0.0.1'): Promise<StalledClient> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {}); // a reset by the server is one of the expected endings
  socket.on('data', () => {}); // an early reply is read and dropped
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  socket.write(head);
  return { socket, closed };
}

/** `count` stalled clients, opened `batch` at a time (bounded by count, not time). */
export async function openManyStalled(port: number, head: string, count: number, localAddress = '127.0.0.1', batch = 100): Promise<StalledClient[]> {
  const clients: StalledClient[] = [];
  while (clients.length < count) {
    const size = Math.min(batch, count - clients.length);
    clients.push(...(await Promise.all(Array.from({ length: size }, () => openStalled(port, head, localAddress)))));
  }
  return clients;
}

/** A multipart POST that announces `bodyBytes` and sends only its first part's start. */
export function halfSentMultipart(path: string, bodyBytes = 100_000): string {
  const boundary = 'stalled-boundary';
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${bodyBytes}\r\n\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nstalled printer`
  );
}
