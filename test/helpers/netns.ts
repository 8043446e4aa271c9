// Network namespaces a test makes for itself (it runs as root): two
// namespaces joined by a veth pair, each end with its address on a /24, so
// that mDNS and LAN traffic stay between them and never leave the machine.
import { execFileSync } from 'node:child_process';

export function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'ignore' });
}

/** One end of the link: its namespace, its veth device and its address. */
export interface LinkEnd {
  ns: string;
  veth: string;
  address: string;
}

/** Creates both namespaces and the veth pair between them, addressed and up (loopback too). */
export function linkNamespaces(a: LinkEnd, b: LinkEnd): void {
  ip('netns', 'add', a.ns);
  ip('netns', 'add', b.ns);
  ip('link', 'add', a.veth, 'type', 'veth', 'peer', 'name', b.veth);
  for (const end of [a, b]) {
    ip('link', 'set', end.veth, 'netns', end.ns);
    ip('-n', end.ns, 'addr', 'add', `${end.address}/24`, 'dev', end.veth);
    ip('-n', end.ns, 'link', 'set', end.veth, 'up');
    ip('-n', end.ns, 'link', 'set', 'lo', 'up');
  }
}

/** Deletes the namespaces (and with them the veth pair); ones already gone are skipped. */
export function deleteNamespaces(...names: string[]): void {
  for (const ns of names) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // already gone
    }
  }
}
