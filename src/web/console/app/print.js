// Print: a file, a printer, and a ticket form generated from the printer's
// CDD (copies, paper size, two-sided, colour, page ranges, orientation, fit,
// and the printer's own SELECT options), sent as a CJT with an upload
// progress bar. Refused before sending: a file type the printer does not take.
import { useEffect, useState } from 'preact/hooks';
import { cloud, submit } from './api.js';
import { html } from './ui.js';
import { optionLabel, printerReasons } from './words.js';
import { printerName } from './printers.js';

const defaultIndex = (options) => Math.max(0, options.findIndex((o) => o.is_default));

/** Page ranges "1-3, 7" as a CJT page_range interval list; throws on anything else. */
export function pageRanges(text) {
  return text.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const match = /^(\d+)(?:\s*-\s*(\d+)?)?$/.exec(part);
    if (!match) throw new Error(`Page range “${part}” is not like 1-3 or 7`);
    const start = Number(match[1]);
    const end = match[2] ? Number(match[2]) : part.includes('-') ? undefined : start;
    if (start < 1 || (end !== undefined && end < start)) throw new Error(`Page range “${part}” is empty`);
    return end === undefined ? { start } : { start, end };
  });
}

/** Whether the CDD's supported_content_type accepts this file type. */
function accepts(cdd, type) {
  const types = (cdd.supported_content_type ?? []).map((t) => t.content_type);
  if (types.length === 0 || types.includes('*/*')) return true;
  return types.some((t) => t === type || (t.endsWith('/*') && type.startsWith(t.slice(0, -1))));
}

function Select({ id, name, text, options }) {
  if (!options?.length) return null;
  return html`<label for=${id}>${text}</label>
    <select id=${id} name=${name}>${options.map((o, i) => html`<option value=${i} selected=${i === defaultIndex(options)}>${optionLabel(o)}</option>`)}</select>`;
}

/** The CJT for the form's values (CJT: print.copies, media_size, duplex, color, page_range, page_orientation, fit_to_page, vendor_ticket_item). */
function ticketOf(form, cdd) {
  const print = {};
  const pick = (name, options) => options?.[Number(form.elements[name]?.value)];
  if (cdd.copies) print.copies = { copies: Number(form.elements.copies.value) };
  const media = pick('media', cdd.media_size?.option);
  if (media) print.media_size = { width_microns: media.width_microns, height_microns: media.height_microns, ...(media.vendor_id ? { vendor_id: media.vendor_id } : {}) };
  const duplex = pick('duplex', cdd.duplex?.option);
  if (duplex) print.duplex = { type: duplex.type };
  const color = pick('color', cdd.color?.option);
  if (color) print.color = { type: color.type, ...(color.vendor_id ? { vendor_id: color.vendor_id } : {}) };
  const orientation = pick('orientation', cdd.page_orientation?.option);
  if (orientation) print.page_orientation = { type: orientation.type };
  const fit = pick('fit', cdd.fit_to_page?.option);
  if (fit) print.fit_to_page = { type: fit.type };
  const ranges = form.elements.pages?.value.trim();
  if (ranges) print.page_range = { interval: pageRanges(ranges) };
  const vendor = (cdd.vendor_capability ?? []).filter((c) => c.type === 'SELECT');
  const items = vendor.map((c) => ({ id: c.id, value: pick(`vendor-${c.id}`, c.select_cap?.option)?.value })).filter((item) => item.value !== undefined);
  if (items.length) print.vendor_ticket_item = items;
  return { version: '1.0', print };
}

export function PrintPage({ printers, say, reload }) {
  const wanted = new URLSearchParams(location.hash.split('?')[1] ?? '').get('printer');
  const [printerId, setPrinterId] = useState(wanted ?? '');
  const [cdd, setCdd] = useState(undefined);
  const [progress, setProgress] = useState(undefined);
  useEffect(() => {
    if (!printerId && printers?.length) setPrinterId(printers[0].id);
  }, [printers]);
  useEffect(() => {
    setCdd(undefined);
    if (printerId) cloud('printer', { printerid: printerId }).then((reply) => setCdd(reply.printers[0].capabilities?.printer ?? {}), (error) => say(error.message, 'error'));
  }, [printerId]);
  if (!printers) return html`<p>Loading printers…</p>`;
  if (printers.length === 0) return html`<p>No printer to print to. <a href="#claim">Add a printer</a> first.</p>`;
  const printer = printers.find((p) => p.id === printerId);
  const stopped = printer?.semanticState?.printer?.state === 'STOPPED';

  async function send(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const file = form.elements.content.files[0];
    if (!file) return say('Choose a file to print', 'error');
    const type = file.type || 'application/octet-stream';
    if (!accepts(cdd, type)) return say(`${printerName(printer)} cannot print ${type} files (it takes ${(cdd.supported_content_type ?? []).map((t) => t.content_type).join(', ')})`, 'error');
    let ticket;
    try {
      ticket = ticketOf(form, cdd);
    } catch (error) {
      form.elements.pages.focus();
      return say(error.message, 'error');
    }
    setProgress(0);
    say('');
    try {
      const reply = await submit({ printerid: printerId, title: form.elements.title.value.trim() || file.name, contentType: type, ticket: JSON.stringify(ticket) }, file, setProgress);
      say(`Sent “${reply.job?.title ?? file.name}” to ${printerName(printer)}. Follow it under Jobs.`);
      form.reset();
      reload();
    } catch (error) {
      say(error.message, 'error');
    } finally {
      setProgress(undefined);
    }
  }

  return html`<form class="stack" onSubmit=${send} aria-describedby=${stopped ? 'stopped-note' : undefined}>
    <label for="printer">Printer</label>
    <select id="printer" name="printer" value=${printerId} onChange=${(e) => setPrinterId(e.currentTarget.value)}>
      ${printers.map((p) => html`<option value=${p.id}>${printerName(p)}</option>`)}
    </select>
    ${stopped && html`<p id="stopped-note" class="warning">This printer is stopped (${printerReasons(printer.semanticState.printer).join('; ') || 'no reason given'}): the job will wait until it is fixed.</p>`}
    <label for="content">File</label>
    <input id="content" name="content" type="file" required />
    <label for="title">Title</label>
    <input id="title" name="title" placeholder="the file's name" maxlength="256" />
    ${cdd === undefined && html`<p>Loading the printer's options…</p>`}
    ${cdd && html`<fieldset class="stack">
      <legend>Print settings</legend>
      ${cdd.copies && html`<label for="copies">Copies</label><input id="copies" name="copies" type="number" min="1" max=${cdd.copies.max ?? 999} defaultValue=${cdd.copies.default ?? 1} required />`}
      <${Select} id="media" name="media" text="Paper size" options=${cdd.media_size?.option} />
      <${Select} id="duplex" name="duplex" text="Sides" options=${cdd.duplex?.option} />
      <${Select} id="color" name="color" text="Colour" options=${cdd.color?.option} />
      <${Select} id="orientation" name="orientation" text="Orientation" options=${cdd.page_orientation?.option} />
      <${Select} id="fit" name="fit" text="Fit" options=${cdd.fit_to_page?.option} />
      ${(cdd.vendor_capability ?? []).filter((c) => c.type === 'SELECT').map((c) => html`<${Select} id=${`vendor-${c.id}`} name=${`vendor-${c.id}`} text=${c.display_name || c.id} options=${c.select_cap?.option} />`)}
      ${cdd.page_range && html`<label for="pages">Pages</label><input id="pages" name="pages" placeholder="all, or e.g. 1-3, 7" inputmode="numeric" aria-describedby="pages-help" /><small id="pages-help">Leave empty to print every page.</small>`}
    </fieldset>`}
    ${progress !== undefined && html`<label for="upload">Uploading</label><progress id="upload" max="1" value=${progress}>${Math.round(progress * 100)}%</progress>`}
    <button type="submit" disabled=${!cdd || progress !== undefined}>Print</button>
  </form>`;
}
