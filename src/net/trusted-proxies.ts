// The load balancers whose word on a client's address the server takes
// (--trusted-proxies): X-Forwarded-For on the HTTP port, the PROXY protocol
// header on the TCP ports (./proxy-protocol.ts). A list of addresses and
// CIDR blocks, IPv4 and IPv6; an IPv4 entry also covers the IPv4-mapped form
// (::ffff:10.0.0.1) a dual-stack listener reports.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Whether a peer address is a trusted proxy. */
export type TrustedProxies = (address: string) => boolean;

/** Parses "10.0.0.0/8, 2001:db8::1" into a test; throws on an entry that is neither an address nor a CIDR block. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    const bits = prefix === undefined ? undefined : /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
    if (!family || extra !== undefined || Number.isNaN(bits) || (bits ?? 0) > (family === 'ipv4' ? 32 : 128)) {
      throw new Error(`"${entry}" is not an IP address or CIDR block`);
    }
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, bits, family);
  }
  return (address) => {
    const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
    return family !== undefined && list.check(address, family);
  };
}
