// --ipp-advertise: DNS-SD on the LAN for the printers whose owners chose it
// (the printer tag `ipp-advertise`), the way IPP Everywhere printers announce
// themselves [PWG 5100.14 §6; Bonjour Printing Specification 1.2 §9]:
// `_ipp._tcp` and, with an IPPS listener, `_ipps._tcp`, each with the
// `_print` (IPP Everywhere) and `_universal` (AirPrint) subtypes and the TXT
// keys clients choose a printer by. @homebridge/ciao does the mDNS parts
// (probing, conflicts, announcements, goodbyes; RFC 6762). The set follows
// the database every --ipp-advertise-interval: printers added or tagged,
// renamed, deleted or untagged, and devices going off or on line.
import { getResponder, type CiaoService, type Responder } from '@homebridge/ciao';
import { capabilitiesOf } from './capabilities.ts';
import { ADVERTISE_TAG, IPP_PATH, type IppDeps, type IppPrinter } from './deps.ts';
import { documentFormats, urfKeywords } from './printer-attributes.ts';

/** DNS-SD instance names are at most 63 bytes [RFC 6763 §4.1.1]. */
function instanceName(printer: IppPrinter): string {
  let name = printer.displayName.replace(/[.\\]/g, ' ').trim() || 'Cloud printer';
  while (Buffer.byteLength(name) > 63) name = name.slice(0, -1);
  return name;
}

/** The TXT record [PWG 5100.14 §6.1, Bonjour Printing 1.2 §9.2–9.4]. */
export function ippTxt(printer: IppPrinter, adminUrl: string, tls: boolean): Record<string, string> {
  const caps = capabilitiesOf(printer.cdd);
  const uuid = (printer.uuid && /^[0-9a-f-]{36}$/i.test(printer.uuid) ? printer.uuid : printer.id).toLowerCase();
  const txt: Record<string, string> = {
    txtvers: '1',
    qtotal: '1',
    rp: `${IPP_PATH.slice(1)}${printer.id}`,
    ty: `${printer.manufacturer ?? ''} ${printer.model ?? ''}`.trim() || printer.displayName,
    product: `(${printer.model ?? 'Cloud Printer'})`,
    note: '',
    adminurl: adminUrl,
    pdl: documentFormats(caps).filter((format) => format !== 'application/octet-stream').join(','),
    URF: urfKeywords(caps).join(','),
    Color: caps.isColor ? 'T' : 'F',
    Duplex: caps.sides.length > 1 ? 'T' : 'F',
    UUID: uuid,
    air: 'username,password',
    kind: 'document',
    priority: '50',
  };
  if (tls) txt.TLS = '1.2';
  return txt;
}

interface Advertised {
  key: string;
  services: CiaoService[];
}

export class IppAdvertiser {
  private responder: Responder | undefined;
  private readonly advertised = new Map<string, Advertised>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private ports: { ipp: number; ipps: number | undefined } | undefined;

  constructor(
    private readonly deps: IppDeps,
    private readonly options: { networkInterface: string | undefined; intervalSeconds: number },
  ) {}

  start(ports: { ipp: number; ipps: number | undefined }): void {
    this.ports = ports;
    const networkInterface = this.options.networkInterface;
    this.responder = getResponder(networkInterface ? { interface: networkInterface } : undefined);
    void this.sync();
    this.timer = setInterval(() => void this.sync(), this.options.intervalSeconds * 1000).unref();
  }

  /** One pass over the printers to advertise; passes never overlap. */
  sync(): Promise<void> {
    this.running ??= this.syncOnce()
      .catch((error: Error) => this.deps.log.error({ err: error }, 'ipp advertisement failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async syncOnce(): Promise<void> {
    if (!this.responder || !this.ports) return;
    const wanted = new Map<string, IppPrinter>();
    for (const printer of await this.deps.cloud.advertisedPrinters(ADVERTISE_TAG)) {
      // A device that is off line takes its printer off the LAN with it.
      if (printer.connected === false) continue;
      wanted.set(printer.id, printer);
    }
    for (const [id, current] of this.advertised) {
      const printer = wanted.get(id);
      if (!printer || this.keyOf(printer) !== current.key) {
        this.advertised.delete(id);
        await Promise.all(current.services.map((service) => service.destroy()));
        this.deps.log.info({ printerId: id }, 'ipp advertisement withdrawn');
      }
    }
    for (const [id, printer] of wanted) {
      if (this.advertised.has(id)) continue;
      const services = this.servicesOf(printer);
      this.advertised.set(id, { key: this.keyOf(printer), services });
      await Promise.all(services.map((service) => service.advertise()));
      this.deps.log.info({ printerId: id, name: instanceName(printer) }, 'ipp printer advertised');
    }
  }

  /** What, when it changes, makes the advertisement go and come again: name and TXT. */
  private keyOf(printer: IppPrinter): string {
    return JSON.stringify([instanceName(printer), ippTxt(printer, this.adminUrl(printer), this.ports?.ipps !== undefined)]);
  }

  private adminUrl(printer: IppPrinter): string {
    return `${this.deps.publicUrl()}/console/#printer=${printer.id}`;
  }

  private servicesOf(printer: IppPrinter): CiaoService[] {
    const { ipp, ipps } = this.ports!;
    const tls = ipps !== undefined;
    const txt = ippTxt(printer, this.adminUrl(printer), tls);
    const common = {
      name: instanceName(printer),
      subtypes: ['print', 'universal'],
      txt,
      ...(this.options.networkInterface ? { restrictedAddresses: [this.options.networkInterface] } : {}),
    };
    // Each service probes its own host name (ciao derives it from the instance name when none is given, and the two would then claim it against each other).
    const hostname = (type: string) => `ocp-${printer.id.slice(0, 8)}-${type}`;
    const services = [this.responder!.createService({ ...common, type: 'ipp', port: ipp, hostname: hostname('ipp') })];
    if (ipps !== undefined) services.push(this.responder!.createService({ ...common, type: 'ipps', port: ipps, hostname: hostname('ipps') }));
    return services;
  }

  /** Goodbyes (TTL 0) for everything advertised, then the responder stops. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    const all = [...this.advertised.values()].flatMap((a) => a.services);
    this.advertised.clear();
    await Promise.all(all.map((service) => service.destroy()));
    await this.responder?.shutdown();
    this.responder = undefined;
  }
}
