// The print settings a CJT ticket chooses (GCP §f) that the
// virtual printer honours beyond what the document itself carries: the
// resolution (`dpi`, a CDD option) and the output bin (the CDD lists the bins
// as `output_bin_unit`s and offers the choice as the SELECT vendor capability
// `output_bin`, which a ticket sets with a `vendor_ticket_item`, as CJT has no
// output-bin item of its own). A choice the CDD does not offer is refused.

export class TicketError extends Error {}

export interface PrintSettings {
  dpi: { horizontal_dpi: number; vertical_dpi: number };
  output_bin: string;
}

type Json = Record<string, any>;

export const OUTPUT_BIN_CAPABILITY = 'output_bin';

/** The settings `ticket` asks for, the CDD's defaults for what it leaves out. */
export function printSettings(ticket: unknown, cdd: Json): PrintSettings {
  const print = ((ticket as Json | undefined)?.print ?? {}) as Json;
  const caps = (cdd.printer ?? {}) as Json;
  const dpiOptions = (caps.dpi?.option ?? []) as Json[];
  let dpi = dpiOptions.find((o) => o.is_default) ?? dpiOptions[0];
  if (print.dpi !== undefined) {
    const wanted = print.dpi as Json;
    dpi = dpiOptions.find((o) => Number(o.horizontal_dpi) === Number(wanted?.horizontal_dpi) && Number(o.vertical_dpi) === Number(wanted?.vertical_dpi));
    if (!dpi) throw new TicketError(`a resolution of ${String(wanted?.horizontal_dpi)}x${String(wanted?.vertical_dpi)} dpi is not offered (${dpiOptions.map((o) => `${o.horizontal_dpi}x${o.vertical_dpi}`).join(', ')})`);
  }
  const binCapability = ((caps.vendor_capability ?? []) as Json[]).find((c) => c.id === OUTPUT_BIN_CAPABILITY);
  const bins = (binCapability?.select_cap?.option ?? []) as Json[];
  let bin = bins.find((o) => o.is_default) ?? bins[0];
  const items = Array.isArray(print.vendor_ticket_item) ? (print.vendor_ticket_item as Json[]) : [];
  const wantedBin = items.find((item) => item?.id === OUTPUT_BIN_CAPABILITY)?.value as unknown;
  if (wantedBin !== undefined) {
    bin = bins.find((o) => o.value === wantedBin);
    if (!bin) throw new TicketError(`output bin "${String(wantedBin)}" is not offered (${bins.map((o) => o.value).join(', ')})`);
  }
  return { dpi: { horizontal_dpi: Number(dpi?.horizontal_dpi), vertical_dpi: Number(dpi?.vertical_dpi) }, output_bin: String(bin?.value) };
}
