// PROXY protocol headers as a load balancer sends them (HAProxy's
// proxy-protocol.txt §2.1 for version 1, §2.2 for version 2), for tests.
import { isIPv4 } from 'node:net';

export interface ProxiedClient {
  address: string;
  port: number;
  /** The balancer's own address the client reached; defaults to the loopback of the client's family. */
  destination?: string;
  destinationPort?: number;
}

/** §2.1: "PROXY TCP4 203.0.113.7 127.0.0.1 40000 5222\r\n". */
export function proxyV1(client: ProxiedClient): Buffer {
  const v4 = isIPv4(client.address);
  const destination = client.destination ?? (v4 ? '127.0.0.1' : '::1');
  return Buffer.from(`PROXY ${v4 ? 'TCP4' : 'TCP6'} ${client.address} ${destination} ${client.port} ${client.destinationPort ?? 443}\r\n`, 'latin1');
}

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** The 16 bytes of an IPv6 address (no IPv4-in-IPv6 tail: tests write plain hex). */
function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const groups = (text: string) => (text ? text.split(':').map((group) => parseInt(group, 16)) : []);
  const front = groups(head);
  const back = groups(tail);
  const all = address.includes('::') ? [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back] : front;
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

/** §2.2: a PROXY command over TCP (family INET or INET6 by the client's address), with optional TLV bytes after the addresses. */
export function proxyV2(client: ProxiedClient, tlvs: Buffer = Buffer.alloc(0)): Buffer {
  const v4 = isIPv4(client.address);
  const destination = client.destination ?? (v4 ? '127.0.0.1' : '::1');
  const addresses = v4
    ? Buffer.from([...client.address.split('.').map(Number), ...destination.split('.').map(Number), 0, 0, 0, 0])
    : Buffer.concat([ipv6Bytes(client.address), ipv6Bytes(destination), Buffer.alloc(4)]);
  addresses.writeUInt16BE(client.port, addresses.length - 4);
  addresses.writeUInt16BE(client.destinationPort ?? 443, addresses.length - 2);
  return v2(0x21, v4 ? 0x11 : 0x21, Buffer.concat([addresses, tlvs]));
}

/** §2.2: the LOCAL command HAProxy's health checks send (check-send-proxy): no addresses. */
export function proxyV2Local(): Buffer {
  return v2(0x20, 0x00, Buffer.alloc(0));
}

function v2(versionCommand: number, familyTransport: number, body: Buffer): Buffer {
  const fixed = Buffer.alloc(4);
  fixed[0] = versionCommand;
  fixed[1] = familyTransport;
  fixed.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIGNATURE, fixed, body]);
}
