// Sharing: who may use a printer the user manages, share by email with a
// role, share with everyone signed in (public), and unshare. A share with an
// email no account uses is kept (it applies when someone signs up with it),
// and the page says so.
import { useEffect, useState } from 'preact/hooks';
import { cloud, consoleGet } from './api.js';
import { html } from './ui.js';
import { printerName } from './printers.js';

const ROLES = { USER: 'Can print', MANAGER: 'Can manage', OWNER: 'Owner' };

export function SharingPage({ printers, email, say }) {
  const mine = (printers ?? []).filter((p) => p.ownerId === email);
  const [printerId, setPrinterId] = useState('');
  const [shares, setShares] = useState(undefined);
  useEffect(() => {
    if (!printerId && mine.length) setPrinterId(mine[0].id);
  }, [printers]);
  const load = () => consoleGet(`/console/shares?printerid=${encodeURIComponent(printerId)}`).then((reply) => (setShares(reply.shares), reply.shares));
  useEffect(() => {
    setShares(undefined);
    if (printerId) load().catch((error) => say(error.message, 'error'));
  }, [printerId]);
  if (!printers) return html`<p>Loading printers…</p>`;
  if (mine.length === 0) return html`<p>You own no printer to share. <a href="#claim">Add a printer</a> first.</p>`;

  async function share(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const scope = form.elements.scope.value.trim().toLowerCase();
    try {
      const reply = await cloud('share', { printerid: printerId, scope, role: form.elements.role.value });
      const entry = (await load()).find((s) => s.scope === scope);
      if (entry && !entry.known) say(`No account uses ${scope} yet: the share will apply when someone signs up with that email.`, 'warning');
      else say(reply.message);
      form.reset();
    } catch (error) {
      say(error.message, 'error');
    }
  }
  async function change(params, message) {
    try {
      await cloud(params.unshare ? 'unshare' : 'share', { printerid: printerId, ...params.fields });
      await load();
      say(message);
    } catch (error) {
      say(error.message, 'error');
    }
  }
  const isPublic = shares?.some((s) => s.scope === 'public');
  return html`
    <div class="stack">
      <label for="share-printer">Printer</label>
      <select id="share-printer" value=${printerId} onChange=${(e) => setPrinterId(e.currentTarget.value)}>
        ${mine.map((p) => html`<option value=${p.id}>${printerName(p)}</option>`)}
      </select>
    </div>
    <h2>Shared with</h2>
    ${shares === undefined ? html`<p>Loading…</p>` : shares.length === 0 ? html`<p>Nobody else yet.</p>` : html`
      <ul class="shares">${shares.map((s) => html`<li>
        <span>${s.scope === 'public' ? 'Everyone signed in' : s.scope} · ${ROLES[s.role] ?? s.role}${!s.known ? ' · no account yet' : ''}</span>
        <button type="button" onClick=${() => change({ unshare: true, fields: s.scope === 'public' ? { public: 'true' } : { scope: s.scope } }, `Stopped sharing with ${s.scope === 'public' ? 'everyone' : s.scope}`)}
          aria-label=${`Remove ${s.scope === 'public' ? 'everyone' : s.scope}`}>Remove</button>
      </li>`)}</ul>`}
    <h2>Share</h2>
    <form class="stack" onSubmit=${share}>
      <label for="scope">Email</label>
      <input id="scope" name="scope" type="email" required autocomplete="off" />
      <label for="role">Role</label>
      <select id="role" name="role">${Object.entries(ROLES).map(([value, name]) => html`<option value=${value}>${name}</option>`)}</select>
      <button type="submit">Share</button>
    </form>
    <h2>Public link</h2>
    <p>${isPublic ? 'Everyone with an account here may print to this printer.' : 'Only the people above may print to this printer.'}</p>
    <button type="button" onClick=${() => change(isPublic ? { unshare: true, fields: { public: 'true' } } : { fields: { public: 'true' } }, isPublic ? 'No longer public' : 'Shared with everyone signed in')}>
      ${isPublic ? 'Make private' : 'Share with everyone signed in'}
    </button>`;
}
