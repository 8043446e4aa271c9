// The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): a load
// balancer that forwards a TCP connection first sends one header naming the
// client's address, then the client's bytes. The TCP listeners (XMPP, CCS)
// read it before TLS or XMPP, and only from a trusted proxy: a connection
// from a trusted proxy must carry a header, one from anybody else is taken
// as it is, so a header it sends is no XMPP and no TLS, and is refused as
// such. Accepting headers from anyone would let any client claim any address.
import { isIPv4, isIPv6, type Socket } from 'node:net';
import { trustedProxies, type TrustedProxies } from './trusted-proxies.ts';

/** What a complete header says. */
export interface ProxyHeader {
  /** Bytes of the header, to drop before the client's own bytes. */
  length: number;
  /** The client's address and port; undefined: use the connection's own (LOCAL, UNKNOWN, UNSPEC, UNIX). */
  source: { address: string; port: number } | undefined;
}

export class ProxyHeaderError extends Error {}

/** §2.1: "PROXY" and a space begin every version 1 header; at most 107 bytes with its CRLF. */
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const V1_MAX_LENGTH = 107;
/** §2.2: the 12 bytes that begin every version 2 header, then version/command, family/transport and a 16-bit length. */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_FIXED_LENGTH = 16;

/** Whether `bytes` could still become the start of `prefix`, or has it. */
function startsLike(bytes: Buffer, prefix: Buffer): boolean {
  const n = Math.min(bytes.length, prefix.length);
  return bytes.subarray(0, n).equals(prefix.subarray(0, n));
}

/**
 * The header at the start of `bytes`, or undefined while more bytes are
 * needed. Throws ProxyHeaderError as soon as the bytes cannot be one, or one
 * longer than `maxLength` bytes.
 */
export function parseProxyHeader(bytes: Buffer, maxLength = 1024): ProxyHeader | undefined {
  if (startsLike(bytes, V1_PREFIX)) return parseV1(bytes);
  if (startsLike(bytes, V2_SIGNATURE)) return parseV2(bytes, maxLength);
  throw new ProxyHeaderError('no PROXY protocol header');
}

/** §2.1: "PROXY" SP ("TCP4" | "TCP6") SP source SP destination SP source-port SP destination-port CRLF, or "PROXY UNKNOWN" … CRLF. */
function parseV1(bytes: Buffer): ProxyHeader | undefined {
  const end = bytes.subarray(0, V1_MAX_LENGTH).indexOf('\r\n');
  if (end < 0) {
    if (bytes.length >= V1_MAX_LENGTH) throw new ProxyHeaderError('version 1 header without CRLF in 107 bytes');
    return undefined;
  }
  const length = end + 2;
  const fields = bytes.subarray(0, end).toString('latin1').split(' ');
  // §2.1: with UNKNOWN the receiver ignores the rest of the line and uses the connection's own addresses.
  if (fields[1] === 'UNKNOWN') return { length, source: undefined };
  const [, family, source, destination, sourcePort, destinationPort] = fields;
  const isAddress = family === 'TCP4' ? isIPv4 : family === 'TCP6' ? isIPv6 : undefined;
  if (!isAddress) throw new ProxyHeaderError(`version 1 header with protocol ${JSON.stringify(family)}`);
  if (fields.length !== 6 || !isAddress(source!) || !isAddress(destination!)) throw new ProxyHeaderError('version 1 header with malformed addresses');
  const port = (text: string) => (/^(0|[1-9]\d{0,4})$/.test(text) && Number(text) <= 65535 ? Number(text) : undefined);
  const clientPort = port(sourcePort!);
  if (clientPort === undefined || port(destinationPort!) === undefined) throw new ProxyHeaderError('version 1 header with malformed ports');
  return { length, source: { address: source!, port: clientPort } };
}

/**
 * §2.2: signature, version 2 and command (LOCAL 0, PROXY 1), address family
 * and transport, the length of what follows, then the addresses (AF_INET 12
 * bytes, AF_INET6 36, AF_UNIX 216) and TLVs (§2.2.7), which are skipped.
 */
function parseV2(bytes: Buffer, maxLength: number): ProxyHeader | undefined {
  if (bytes.length < V2_FIXED_LENGTH) return undefined;
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2) throw new ProxyHeaderError(`version 2 signature with version ${versionCommand >> 4}`);
  const command = versionCommand & 0x0f;
  if (command > 1) throw new ProxyHeaderError(`version 2 header with command ${command}`);
  const length = V2_FIXED_LENGTH + bytes.readUInt16BE(14);
  if (length > maxLength) throw new ProxyHeaderError(`version 2 header of ${length} bytes, more than ${maxLength}`);
  if (bytes.length < length) return undefined;
  // LOCAL: the proxy speaks for itself (a health check); the family is ignored.
  if (command === 0) return { length, source: undefined };
  const family = bytes[13]! >> 4;
  const body = bytes.subarray(V2_FIXED_LENGTH, length);
  if (family === 1) {
    if (body.length < 12) throw new ProxyHeaderError('version 2 AF_INET header shorter than its addresses');
    return { length, source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) } };
  }
  if (family === 2) {
    if (body.length < 36) throw new ProxyHeaderError('version 2 AF_INET6 header shorter than its addresses');
    return { length, source: { address: ipv6Text(body.subarray(0, 16)), port: body.readUInt16BE(32) } };
  }
  // UNSPEC (0): the receiver may use the connection's own addresses; so for a UNIX socket (3), which has no IP address.
  if (family === 0 || family === 3) return { length, source: undefined };
  throw new ProxyHeaderError(`version 2 header with address family ${family}`);
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run of two or more zero groups as "::"; §5: an IPv4-mapped address in dotted form. */
function ipv6Text(address: Buffer): string {
  if (address.subarray(0, 10).every((byte) => byte === 0) && address.readUInt16BE(10) === 0xffff) return `::ffff:${[...address.subarray(12)].join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => address.readUInt16BE(i * 2));
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((group) => group.toString(16)).join(':');
  return best.start < 0 ? hex(0, 8) : `${hex(0, best.start)}::${hex(best.start + best.length, 8)}`;
}

export interface ProxyProtocolOptions {
  /** The peers that must send a header (--trusted-proxies). */
  trusted: TrustedProxies;
  /** Time a trusted peer has to send the whole header (ms). */
  headerTimeoutMs: number;
  /** Longest header accepted (bytes; a version 1 header is never longer than 107). */
  maxHeaderBytes: number;
}

/** The options of the server's --trusted-proxies, --proxy-header-timeout and --proxy-header-max-size; undefined without trusted proxies. */
export function proxyProtocolFrom(config: { trustedProxies: readonly string[]; proxyHeaderTimeoutSeconds: number; proxyHeaderMaxSize: number }): ProxyProtocolOptions | undefined {
  if (config.trustedProxies.length === 0) return undefined;
  return { trusted: trustedProxies(config.trustedProxies), headerTimeoutMs: config.proxyHeaderTimeoutSeconds * 1000, maxHeaderBytes: config.proxyHeaderMaxSize };
}

/**
 * The address of the client on `socket`: the one a trusted proxy's header
 * carries, or the peer's own. Bytes read past the header are put back for
 * whoever reads the socket next (TLS or XMPP). A trusted peer that sends no
 * valid header in time is disconnected and the promise rejects.
 */
export function clientAddress(socket: Socket, options: ProxyProtocolOptions | undefined): Promise<string> {
  const peer = socket.remoteAddress ?? '';
  if (!options || !options.trusted(peer)) return Promise.resolve(peer);
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const finish = (error: Error | undefined, address?: string) => {
      clearTimeout(timer);
      socket.off('readable', onReadable).off('close', onClose).off('error', onClose);
      if (error) {
        socket.destroy();
        reject(error);
      } else resolve(address!);
    };
    // Paused mode ('readable'): bytes read past the header go back with unshift, and once this listener is gone the socket flows again for the next reader.
    const onReadable = () => {
      for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) {
        received = received.length ? Buffer.concat([received, chunk]) : chunk;
        let header: ProxyHeader | undefined;
        try {
          header = parseProxyHeader(received, options.maxHeaderBytes);
        } catch (error) {
          return finish(error as Error);
        }
        if (!header) continue;
        if (received.length > header.length) socket.unshift(received.subarray(header.length));
        return finish(undefined, header.source?.address ?? peer);
      }
    };
    const onClose = () => finish(new ProxyHeaderError('closed before the end of its PROXY header'));
    const timer = setTimeout(() => finish(new ProxyHeaderError(`no complete PROXY header in ${options.headerTimeoutMs} ms`)), options.headerTimeoutMs);
    socket.on('readable', onReadable).once('close', onClose).once('error', onClose);
  });
}
