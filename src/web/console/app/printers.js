// Printers: live state (online/offline, idle/printing/stopped and why,
// markers, queued jobs), owner or "shared with you", details from the CDD,
// rename and delete (with confirmation) for those who may.
import { useEffect, useState } from 'preact/hooks';
import { cloud } from './api.js';
import { Confirm, formatTime, html } from './ui.js';
import { markerLevels, optionLabel, printerReasons, STATE_LABEL } from './words.js';

const ADVERTISE_TAG = 'ipp-advertise';

export function printerName(printer) {
  return printer.displayName || printer.name;
}

function StateLine({ printer }) {
  const state = printer.semanticState?.printer ?? {};
  const online = (printer.connectionStatus ?? 'ONLINE') === 'ONLINE';
  const reasons = printerReasons(state);
  const label = STATE_LABEL[state.state] ?? state.state ?? 'Unknown';
  return html`<p class="state">
    <span class=${`badge ${online ? 'online' : 'offline'}`}>${online ? 'Online' : 'Offline'}</span>
    ${' '}<span class=${`badge state-${(state.state ?? '').toLowerCase()}`}>${label}</span>
    ${reasons.length > 0 && html`<span class="reason">: ${reasons.join('; ')}</span>`}
  </p>`;
}

/** A CDD in a few lines: what the ticket form will offer. */
function CddSummary({ capabilities }) {
  const p = capabilities?.printer ?? {};
  const rows = [
    ['Document types', (p.supported_content_type ?? []).map((t) => t.content_type).join(', ')],
    ['Paper sizes', (p.media_size?.option ?? []).map(optionLabel).join(', ')],
    ['Colour', (p.color?.option ?? []).map(optionLabel).join(', ')],
    ['Sides', (p.duplex?.option ?? []).map(optionLabel).join(', ')],
    ['Resolution', (p.dpi?.option ?? []).map((o) => `${o.horizontal_dpi}×${o.vertical_dpi} dpi`).join(', ')],
    ['Copies', p.copies ? `up to ${p.copies.max ?? 'any'}` : ''],
  ].filter(([, value]) => value);
  return html`<dl>${rows.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>`;
}

/** The owner's choice to have `ocp server --ipp-advertise` announce the printer on the LAN (docs/ipp.md): the tag ipp-advertise. */
function Advertise({ printer, reload, say }) {
  // What the owner just chose, shown until the printer's tags say so: a re-render while the update is under way must not undo the click.
  const [chosen, setChosen] = useState(undefined);
  const on = (printer.tags ?? []).includes(ADVERTISE_TAG);
  useEffect(() => {
    if (chosen === on) setChosen(undefined);
  }, [on]);
  async function toggle(event) {
    const wanted = event.currentTarget.checked;
    setChosen(wanted);
    try {
      await cloud('update', { printerid: printer.id, ...(wanted ? { tag: ADVERTISE_TAG } : { remove_tag: ADVERTISE_TAG }) });
      say(wanted ? `${printerName(printer)} is announced on the LAN` : `${printerName(printer)} is no longer announced on the LAN`);
      reload();
    } catch (error) {
      setChosen(undefined);
      say(error.message, 'error');
    }
  }
  const id = `advertise-${printer.id}`;
  return html`<p class="check"><input type="checkbox" id=${id} checked=${chosen ?? on} onChange=${toggle} /> <label for=${id}>Announce on the LAN (IPP Everywhere, AirPrint)</label></p>`;
}

/** Privet §4.1.2 local settings the owner may change, with their labels. */
const SETTING_SWITCHES = [
  ['local_discovery', 'Discoverable on the local network'],
  ['access_token_enabled', 'Local access tokens'],
  ['printer/local_printing_enabled', 'Local printing'],
  ['printer/conversion_printing_enabled', 'Printing of converted documents'],
];

/**
 * The printer's local settings (Privet §4.1.3.2): the owner writes `pending`
 * through /cloudprint/update; the device applies them and reports `current`,
 * and until then the page says they wait.
 */
function LocalSettings({ printer, settings, saved, say }) {
  const waiting = JSON.stringify(settings.pending) !== JSON.stringify(settings.current);
  async function save(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const pending = { ...settings.pending };
    for (const [key] of SETTING_SWITCHES) if (key in pending) pending[key] = form.elements[key].checked;
    pending.xmpp_timeout_value = Number(form.elements.xmpp_timeout_value.value);
    try {
      await cloud('update', { printerid: printer.id, local_settings: JSON.stringify({ pending }) });
      say(`Settings of ${printerName(printer)} saved; the printer applies them when it next hears from the server`);
      saved();
    } catch (error) {
      say(error.message, 'error');
    }
  }
  const id = (key) => `${key.replace('/', '-')}-${printer.id}`;
  return html`<form class="settings" onSubmit=${save}>
    <fieldset>
      <legend>Local settings</legend>
      ${SETTING_SWITCHES.filter(([key]) => key in settings.pending).map(
        ([key, label]) => html`<p class="check"><input type="checkbox" id=${id(key)} name=${key} defaultChecked=${settings.pending[key] === true} /> <label for=${id(key)}>${label}</label></p>`,
      )}
      <label for=${id('xmpp')}>Keep-alive of its push connection (seconds)</label>
      <input id=${id('xmpp')} name="xmpp_timeout_value" type="number" min="1" step="1" required defaultValue=${settings.pending.xmpp_timeout_value ?? 300} />
      <p class=${waiting ? 'warning' : ''} data-settings=${waiting ? 'pending' : 'applied'} data-keepalive=${settings.current.xmpp_timeout_value}>${waiting ? 'Saved: waiting for the printer to apply them.' : 'The printer uses these settings.'}</p>
      <button type="submit">Save settings</button>
    </fieldset>
  </form>`;
}

function Details({ printer, owned, say }) {
  const [full, setFull] = useState(undefined);
  const [open, setOpen] = useState(false);
  const [error, setError] = useState('');
  const load = () => cloud('printer', { printerid: printer.id }).then((reply) => (setFull(reply.printers[0]), setError('')), (e) => setError(e.message));
  // Re-read while open whenever the printer changed (the device applying settings, among others).
  useEffect(() => {
    if (open) load();
  }, [open, printer.updateTime, printer.accessTime]);
  // A Privet printer registers with proxy privet-SERIAL (src/privet/printer.ts); a connector with its own proxy id.
  const device = printer.proxy.startsWith('privet-') ? `Privet printer, serial ${printer.proxy.slice(7)}` : printer.proxy ? `Connector ${printer.proxy}` : 'Registered directly';
  // The IPP printer-more-info link (src/ipp) is /console/#printer=ID: that printer's details open.
  const linked = location.hash === `#printer=${printer.id}`;
  const settings = full?.local_settings;
  return html`<details onToggle=${(event) => setOpen(event.currentTarget.open)} open=${linked}>
    <summary>Details</summary>
    <dl>
      <dt>Device</dt><dd>${device}</dd>
      <dt>Model</dt><dd>${[printer.manufacturer, printer.model].filter(Boolean).join(' ') || '—'}</dd>
      <dt>Firmware</dt><dd>${printer.firmware || '—'}</dd>
      <dt>Last seen</dt><dd>${formatTime(printer.accessTime)}</dd>
      <dt>Last update</dt><dd>${formatTime(printer.updateTime)}</dd>
      <dt>Id</dt><dd class="id">${printer.id}</dd>
      <dt>IPP</dt><dd class="id">${`ipp://${location.host}/ipp/print/${printer.id}`}</dd>
    </dl>
    ${markerLevels(printer.semanticState?.printer).length > 0 && html`<p>Supplies: ${markerLevels(printer.semanticState.printer).join(', ')}</p>`}
    ${error && html`<p class="error">${error}</p>`}
    ${full && html`<${CddSummary} capabilities=${full.capabilities} />`}
    ${settings && owned && html`<${LocalSettings} printer=${printer} settings=${settings} saved=${load} say=${say} />`}
    ${settings && !owned && JSON.stringify(settings.pending) !== JSON.stringify(settings.current) && html`<p>Settings waiting for the printer to apply them.</p>`}
  </details>`;
}

function Rename({ printer, done, say }) {
  async function save(event) {
    event.preventDefault();
    const name = event.currentTarget.elements.name.value.trim();
    try {
      await cloud('update', { printerid: printer.id, default_display_name: name });
      say(`Renamed to “${name}”`);
      done(true);
    } catch (error) {
      say(error.message, 'error');
    }
  }
  const id = `rename-${printer.id}`;
  return html`<form class="inline" onSubmit=${save}>
    <label for=${id}>New name</label>
    <input id=${id} name="name" required maxlength="200" defaultValue=${printerName(printer)} />
    <button type="submit">Save</button>
    <button type="button" onClick=${() => done(false)}>Cancel</button>
  </form>`;
}

function PrinterCard({ printer, email, reload, say }) {
  const [renaming, setRenaming] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const owned = printer.ownerId === email;
  async function remove() {
    try {
      await cloud('delete', { printerid: printer.id });
      say(`Deleted “${printerName(printer)}”`);
      reload();
    } catch (error) {
      say(error.message, 'error');
    }
  }
  return html`<li class="card">
    <h2>${printerName(printer)}</h2>
    <${StateLine} printer=${printer} />
    <p>${printer.queuedJobsCount ?? 0} queued · ${owned ? 'Yours' : html`Shared with you by ${printer.ownerId}`}</p>
    <${Details} printer=${printer} owned=${owned} say=${say} />
    ${owned && html`<${Advertise} printer=${printer} reload=${reload} say=${say} />`}
    ${renaming && html`<${Rename} printer=${printer} say=${say} done=${(changed) => (setRenaming(false), changed && reload())} />`}
    <div class="buttons">
      <a class="button" href=${`#print?printer=${encodeURIComponent(printer.id)}`}>Print</a>
      ${!renaming && html`<button type="button" onClick=${() => setRenaming(true)}>Rename</button>`}
      ${owned && html`<button type="button" class="danger" onClick=${() => setConfirming(true)}>Delete</button>`}
    </div>
    ${confirming &&
    html`<${Confirm}
      question=${`Delete “${printerName(printer)}” and all its jobs? Its device will be told to forget this server.`}
      action="Delete printer"
      onConfirm=${remove}
      onClose=${() => setConfirming(false)}
    />`}
  </li>`;
}

export function PrintersPage({ printers, email, reload, say }) {
  if (!printers) return html`<p>Loading printers…</p>`;
  if (printers.length === 0) return html`<p>No printers yet. <a href="#claim">Add a printer</a> with its registration token.</p>`;
  return html`<ul class="cards" aria-label="Printers">
    ${printers.map((printer) => html`<${PrinterCard} key=${printer.id} printer=${printer} email=${email} reload=${reload} say=${say} />`)}
  </ul>`;
}
