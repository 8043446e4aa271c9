// Account: who is signed in, sign out here or everywhere, and where API
// tokens come from (the server has no API-token endpoints yet: `ocp token`).
import { signOut } from './api.js';
import { html } from './ui.js';

export function AccountPage({ email }) {
  return html`
    <p>Signed in as <strong>${email}</strong>.</p>
    <div class="buttons">
      <button type="button" onClick=${() => signOut()}>Sign out</button>
      <button type="button" class="danger" onClick=${() => signOut(true)}>Sign out everywhere</button>
    </div>
    <p><small>Signing out everywhere ends every console and command-line session of this account when its current access token expires. API tokens keep working.</small></p>
    <h2>API tokens</h2>
    <p>API tokens for scripts are created and revoked by an administrator with <code>ocp token</code> on the server; this server has no web endpoint for them yet.</p>`;
}
