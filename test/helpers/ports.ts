// A loopback TCP port free at the moment of asking, for a test's own server
// processes (cupsd, redis-server) that must be told a port; or one held
// until the process that will listen on it is about to start.
import { createServer, type AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  const { port, release } = await reservePort();
  await release();
  return port;
}

/**
 * A free loopback port kept listening (so that no other process is given it)
 * until `release`, just before the process told of it binds it.
 */
export async function reservePort(): Promise<{ port: number; release(): Promise<void> }> {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as AddressInfo;
  return { port, release: () => new Promise((resolve) => holder.close(() => resolve())) };
}
