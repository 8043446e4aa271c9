// Add printer: claims a printer waiting for its owner, by the registration
// token it shows or its claim URL (complete_invite_url or automated_invite_url).
import { html, navigate } from './ui.js';
import { cloud } from './api.js';

/** The token in a claim URL's ?token=, or the text itself. */
export function claimToken(text) {
  const value = text.trim();
  try {
    return new URL(value).searchParams.get('token') ?? '';
  } catch {
    return value;
  }
}

export function ClaimPage({ reload, say }) {
  const prefill = new URLSearchParams(location.hash.split('?')[1] ?? '').get('token') ?? '';
  async function claim(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const token = claimToken(form.elements.token.value);
    if (!token) return say('That claim URL has no token in it', 'error');
    try {
      await cloud('confirm', { token });
      form.reset();
      reload();
      navigate('#printers', 'Printer added. It shows here once it has finished registering.');
    } catch (error) {
      say(error.message, 'error');
    }
  }
  return html`<form class="stack" onSubmit=${claim}>
    <label for="token">Registration token or claim URL</label>
    <input id="token" name="token" required autocomplete="off" defaultValue=${prefill} aria-describedby="token-help" />
    <small id="token-help">The printer shows or prints its token when you start its registration.</small>
    <button type="submit">Add printer</button>
  </form>`;
}
