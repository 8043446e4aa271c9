// Account: who is signed in, sign out here or everywhere, the person's API
// tokens (list, create with a name, revoke: /console/tokens) and the approval
// of a device's sign-in code (RFC 8628: /console/device).
import { useEffect, useState } from 'preact/hooks';
import { consoleCall, consoleGet, signOut } from './api.js';
import { Confirm, formatTime, html } from './ui.js';

function ApiTokens({ say }) {
  const [tokens, setTokens] = useState(undefined);
  const [created, setCreated] = useState(undefined);
  const [revoking, setRevoking] = useState(undefined);
  const load = () => consoleGet('/console/tokens').then((reply) => setTokens(reply.tokens));
  useEffect(() => {
    load().catch((error) => say(error.message, 'error'));
  }, []);

  async function create(event) {
    event.preventDefault();
    const form = event.currentTarget;
    try {
      const token = await consoleCall('POST', '/console/tokens', { name: form.elements['token-name'].value });
      setCreated(token);
      form.reset();
      await load();
      say(`Token “${token.name}” created. Copy it now: it is not shown again.`);
    } catch (error) {
      say(error.message, 'error');
    }
  }
  async function revoke(token) {
    try {
      await consoleCall('DELETE', `/console/tokens/${encodeURIComponent(token.id)}`);
      if (created?.id === token.id) setCreated(undefined);
      await load();
      say(`Token “${token.name}” revoked`);
    } catch (error) {
      say(error.message, 'error');
    }
  }
  return html`
    <h2>API tokens</h2>
    <p><small>An API token lets a script use this account without a password, until you revoke it. Revoking one also ends the connections opened with it.</small></p>
    ${created && html`<div class="card secret">
      <label for="new-token">Your new token “${created.name}”: copy it now, it is not shown again</label>
      <input id="new-token" readonly value=${created.token} onFocus=${(e) => e.currentTarget.select()} />
      <button type="button" onClick=${() => setCreated(undefined)}>Done</button>
    </div>`}
    ${tokens === undefined ? html`<p>Loading…</p>` : tokens.length === 0 ? html`<p>No API tokens.</p>` : html`
      <ul class="shares tokens">${tokens.map((t) => html`<li>
        <span>${t.name || '(no name)'} · <small>created ${formatTime(t.createdAt)}</small></span>
        <button type="button" class="danger" onClick=${() => setRevoking(t)} aria-label=${`Revoke ${t.name || 'unnamed token'}`}>Revoke</button>
      </li>`)}</ul>`}
    <form class="inline" onSubmit=${create}>
      <label for="token-name">Name</label>
      <input id="token-name" name="token-name" required maxlength="100" autocomplete="off" />
      <button type="submit">Create token</button>
    </form>
    ${revoking && html`<${Confirm} question=${`Revoke the token “${revoking.name}”? Scripts using it stop working.`} action="Revoke" onConfirm=${() => revoke(revoking)} onClose=${() => setRevoking(undefined)} />`}`;
}

function DeviceApproval({ say }) {
  const prefill = new URLSearchParams(location.hash.split('?')[1] ?? '').get('user_code') ?? '';
  async function decide(event) {
    event.preventDefault();
    const form = event.currentTarget;
    // Enter in the field submits with the first button: Allow.
    const action = event.submitter?.value ?? 'approve';
    try {
      const reply = await consoleCall('POST', '/console/device', { user_code: form.elements['user-code'].value, action });
      form.reset();
      say(reply.approved ? 'Device connected: it is signed in as you.' : 'Device refused.');
    } catch (error) {
      say(error.message, 'error');
    }
  }
  return html`
    <h2>Connect a device</h2>
    <form class="stack" onSubmit=${decide}>
      <label for="user-code">Code the device shows</label>
      <input id="user-code" name="user-code" required autocomplete="off" autocapitalize="characters" defaultValue=${prefill} aria-describedby="user-code-help" />
      <small id="user-code-help">A printer connector or <code>ocp login --device</code> shows a code such as BCDF-GHJK. Allow it only if you started that sign-in.</small>
      <div class="buttons">
        <button type="submit" value="approve">Allow</button>
        <button type="submit" value="deny" class="danger plain">Deny</button>
      </div>
    </form>`;
}

export function AccountPage({ email, say }) {
  return html`
    <p>Signed in as <strong>${email}</strong>.</p>
    <div class="buttons">
      <button type="button" onClick=${() => signOut()}>Sign out</button>
      <button type="button" class="danger" onClick=${() => signOut(true)}>Sign out everywhere</button>
    </div>
    <p><small>Signing out everywhere ends every console and command-line session of this account when its current access token expires. API tokens keep working.</small></p>
    <${ApiTokens} say=${say} />
    <${DeviceApproval} say=${say} />`;
}
