// The console's shell: sign-in, the page navigation (#printers, #print, #jobs,
// #sharing, #claim, #account), the printers and jobs every page shares, kept
// current by the event stream, and one status line whose message is cleared
// when the page changes or the next action succeeds.
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { cloud, followEvents, onSession, restore, signIn, signOut } from './api.js';
import { html, takeCarried } from './ui.js';
import { PrintersPage } from './printers.js';
import { PrintPage } from './print.js';
import { JobsPage } from './jobs.js';
import { SharingPage } from './sharing.js';
import { ClaimPage } from './claim.js';
import { AccountPage } from './account.js';

const PAGES = [
  ['printers', 'Printers', PrintersPage],
  ['print', 'Print', PrintPage],
  ['jobs', 'Jobs', JobsPage],
  ['sharing', 'Sharing', SharingPage],
  ['claim', 'Add printer', ClaimPage],
  ['account', 'Account', AccountPage],
];

function pageFromHash() {
  const name = location.hash.replace(/^#/, '').split('?')[0];
  return PAGES.some(([id]) => id === name) ? name : 'printers';
}

function SignIn({ onError }) {
  const [busy, setBusy] = useState(false);
  async function submitForm(event) {
    event.preventDefault();
    const form = event.currentTarget;
    setBusy(true);
    try {
      await signIn(form.email.value, form.password.value);
      onError('');
    } catch (error) {
      onError(error.message);
      form.password.focus();
    } finally {
      setBusy(false);
    }
  }
  return html`<main id="main" class="narrow">
    <h1>Sign in</h1>
    <form onSubmit=${submitForm} class="stack">
      <label for="email">Email</label>
      <input id="email" name="email" type="email" autocomplete="username" required />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required />
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  </main>`;
}

function Console({ email, say }) {
  const [page, setPage] = useState(pageFromHash());
  const [printers, setPrinters] = useState(undefined);
  const [jobs, setJobs] = useState(undefined);
  const [live, setLive] = useState(false);
  const heading = useRef();

  const loadPrinters = useCallback(async () => {
    const reply = await cloud('search', { extra_fields: 'connectionStatus,semanticState,queuedJobsCount' });
    setPrinters(reply.printers);
    return reply.printers;
  }, []);
  /** The user's own jobs and every job of the printers they own (/cloudprint/jobs without a printer lists only one's own). */
  const loadJobs = useCallback(async (owned) => {
    const lists = await Promise.all([cloud('jobs', { limit: '200' }), ...owned.map((p) => cloud('jobs', { printerid: p.id, limit: '200' }))]);
    const byId = new Map(lists.flatMap((reply) => reply.jobs).map((job) => [job.id, job]));
    setJobs([...byId.values()].sort((a, b) => Number(b.createTime) - Number(a.createTime)));
  }, []);
  // A failed re-read says so until a later one succeeds.
  const reload = useCallback(
    () =>
      loadPrinters()
        .then((all) => loadJobs(all.filter((p) => p.ownerId === email)))
        .then(() => say.clear('reload'), (error) => say(`Could not refresh: ${error.message}`, 'error', 'reload')),
    [loadPrinters, loadJobs, email],
  );

  useEffect(() => {
    reload();
    // Changes arrive as hints; a burst of them costs one re-read.
    let timer;
    const stop = followEvents(
      () => {
        clearTimeout(timer);
        timer = setTimeout(reload, 150);
      },
      (up) => {
        setLive(up);
        if (up) reload();
      },
    );
    return () => (stop(), clearTimeout(timer));
  }, [reload]);

  useEffect(() => {
    const onHash = () => {
      setPage(pageFromHash());
      say(takeCarried());
      heading.current?.focus();
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  const Page = PAGES.find(([id]) => id === page)[2];
  const title = PAGES.find(([id]) => id === page)[1];
  return html`
    <nav aria-label="Console">
      <ul>
        ${PAGES.map(([id, label]) => html`<li><a href=${`#${id}`} aria-current=${id === page ? 'page' : undefined}>${label}</a></li>`)}
      </ul>
    </nav>
    <main id="main">
      <h1 tabindex="-1" ref=${heading}>${title}</h1>
      <p class="live" aria-hidden="true">${live ? '● Live' : '○ Connecting…'}</p>
      <${Page} email=${email} printers=${printers} jobs=${jobs} reload=${reload} say=${say} />
    </main>`;
}

function App() {
  const [email, setEmail] = useState(undefined);
  const [message, setMessage] = useState({ text: '', kind: '', source: '' });
  // say(text, kind, source): a message with a source is cleared by say.clear(source) once it no longer applies.
  const say = useMemo(() => Object.assign((text, kind = 'ok', source = '') => setMessage({ text, kind, source }), { clear: (source) => setMessage((m) => (m.source === source ? { text: '', kind: '', source: '' } : m)) }), []);
  useEffect(() => {
    const off = onSession((who) => {
      setEmail(who);
      if (!who) say('');
    });
    restore().then((ok) => ok || setEmail(''));
    return off;
  }, []);
  if (email === undefined) return html`<main id="main"><p>Loading…</p></main>`;
  return html`
    <a class="skip" href="#main">Skip to content</a>
    <header>
      <span class="brand">OpenCloudPrint</span>
      ${email && html`<span class="who">${email}</span><button type="button" onClick=${() => signOut()}>Sign out</button>`}
    </header>
    <p id="status" role=${message.kind === 'error' ? 'alert' : 'status'} class=${message.kind}>${message.text}</p>
    ${email ? html`<${Console} email=${email} say=${say} />` : html`<${SignIn} onError=${(text) => say(text, 'error')} />`}`;
}

render(html`<${App} />`, document.getElementById('app'));
