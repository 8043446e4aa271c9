// Finds Privet devices on the local network (Privet §2): sends a DNS-SD query
// for `_privet._tcp.local` (or the `_printer._sub` subtype) and gathers the
// PTR, SRV, TXT and A/AAAA answers into one record per service instance.
import makeMdns from 'multicast-dns';
import type { Answer } from 'dns-packet';

export const PRIVET_SERVICE = '_privet._tcp.local';
export const PRIVET_PRINTER_SUBTYPE = '_printer._sub._privet._tcp.local';

export interface DiscoveredDevice {
  /** Service instance name, e.g. `Office Printer._privet._tcp.local`. */
  instance: string;
  host?: string;
  port?: number;
  addresses: string[];
  /** TXT record in wire order (Privet §2.2: txtvers first). */
  txt: Array<[string, string]>;
}

export interface BrowseOptions {
  /** IPv4 address of the interface to browse on (default: all). */
  interfaceAddress?: string;
  /** How long to listen for answers. */
  timeoutMs?: number;
  /** Only printers (the `_printer._sub` subtype). */
  printersOnly?: boolean;
}

function txtPairs(data: unknown): Array<[string, string]> {
  const strings = Array.isArray(data) ? data : [data];
  return strings.map((raw) => {
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
    const eq = text.indexOf('=');
    return eq < 0 ? [text, ''] : [text.slice(0, eq), text.slice(eq + 1)];
  });
}

export function browsePrivet(options: BrowseOptions = {}): Promise<DiscoveredDevice[]> {
  const service = options.printersOnly ? PRIVET_PRINTER_SUBTYPE : PRIVET_SERVICE;
  // Bound to one interface, multicast-dns must still bind 0.0.0.0 to receive multicast.
  const mdns = makeMdns(options.interfaceAddress ? { interface: options.interfaceAddress, bind: '0.0.0.0' } : {});
  const devices = new Map<string, DiscoveredDevice>();
  const hosts = new Map<string, Set<string>>();
  const device = (instance: string) => {
    let found = devices.get(instance);
    if (!found) devices.set(instance, (found = { instance, addresses: [], txt: [] }));
    return found;
  };

  const onAnswer = (answer: Answer) => {
    const goodbye = (answer as { ttl?: number }).ttl === 0; // RFC 6762 §10.1: TTL 0 withdraws the record
    if (answer.type === 'PTR' && answer.name === service) {
      if (goodbye) devices.delete(answer.data);
      else device(answer.data);
    } else if (answer.type === 'SRV' && devices.has(answer.name)) {
      Object.assign(device(answer.name), { host: answer.data.target, port: answer.data.port });
    } else if (answer.type === 'TXT' && devices.has(answer.name)) {
      device(answer.name).txt = txtPairs(answer.data);
    } else if (answer.type === 'A' || answer.type === 'AAAA') {
      const set = hosts.get(answer.name) ?? new Set<string>();
      set.add(answer.data);
      hosts.set(answer.name, set);
    }
  };

  mdns.on('response', (packet) => {
    // Instances first, then the records that refer to them.
    const answers = [...packet.answers, ...(packet.additionals ?? [])];
    for (const a of answers.filter((x) => x.type === 'PTR')) onAnswer(a);
    for (const a of answers.filter((x) => x.type !== 'PTR')) onAnswer(a);
  });
  mdns.query({ questions: [{ name: service, type: 'PTR' }] });

  return new Promise((resolve) => {
    setTimeout(() => {
      mdns.destroy();
      for (const found of devices.values()) found.addresses = [...(found.host ? hosts.get(found.host) ?? [] : [])];
      resolve([...devices.values()].sort((a, b) => a.instance.localeCompare(b.instance)));
    }, options.timeoutMs ?? 2000);
  });
}
