// Privet §2–3: DNS-SD advertising through @homebridge/ciao, which does the
// mDNS parts (probing, conflict renaming, announcements, goodbye with TTL 0).
// The service is `_privet._tcp` with the `_printer._sub._privet._tcp`
// subtype, and a TXT record whose first entry is txtvers=1 (§2.2.1).
import { getResponder, type CiaoService, type Responder } from '@homebridge/ciao';
import type { Logger } from '../log.ts';

export type PrivetTxt = Record<string, string>;

/** §3: "send the corresponding announcement at least twice, with at least a one-second interval". */
const REANNOUNCE_AFTER_MS = 1100;

export class Discovery {
  private responder: Responder | undefined;
  private service: CiaoService | undefined;
  private reannounce: NodeJS.Timeout | undefined;
  private lastTxt = '';

  constructor(
    private readonly log: Logger,
    /** Restricts mDNS to one network interface (name or address). */
    private readonly networkInterface?: string,
  ) {}

  get advertising(): boolean {
    return this.service !== undefined;
  }

  async start(name: string, port: number, txt: PrivetTxt): Promise<void> {
    if (this.service) return;
    this.responder = getResponder(this.networkInterface ? { interface: this.networkInterface } : undefined);
    this.service = this.responder.createService({
      name,
      type: 'privet',
      subtypes: ['printer'],
      port,
      txt,
      ...(this.networkInterface ? { restrictedAddresses: [this.networkInterface] } : {}),
    });
    // §2: conflict resolution renames the instance; keep serving under the new name.
    this.service.on('name-change', (newName) => this.log.warn({ name: newName }, 'mDNS name conflict: renamed the service'));
    this.lastTxt = JSON.stringify(txt);
    await this.service.advertise();
    this.log.info({ name, port, txt }, 'advertising _privet._tcp');
  }

  /** §3.3: any TXT change is announced (twice, a second apart). */
  update(txt: PrivetTxt): void {
    const text = JSON.stringify(txt);
    if (!this.service || text === this.lastTxt) return;
    this.lastTxt = text;
    const service = this.service;
    service.updateTxt(txt);
    clearTimeout(this.reannounce);
    this.reannounce = setTimeout(() => {
      if (this.service === service) service.updateTxt(txt);
    }, REANNOUNCE_AFTER_MS);
    this.log.info({ txt }, 'TXT record changed: announced');
  }

  /** §3.2: goodbye packets (TTL 0), then the responder stops. */
  async stop(): Promise<void> {
    clearTimeout(this.reannounce);
    const { service, responder } = this;
    this.service = undefined;
    this.responder = undefined;
    if (service) await service.destroy();
    if (responder) await responder.shutdown();
  }
}
