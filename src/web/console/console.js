// The web console: signs in with the OAuth2 password grant, then talks to the
// same /cloudprint REST interface every other client uses.
const $ = (selector) => document.querySelector(selector);
const TOKEN_KEY = 'ocp.token';

function say(text, ok = false) {
  $('#status').textContent = text;
  $('#status').className = ok ? 'ok' : '';
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = text ?? '';
  if (className) td.className = className;
  return td;
}

async function api(path, params = {}, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(`/cloudprint/${path}?${new URLSearchParams(params)}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body,
  });
  if (response.status === 401 || response.status === 403) {
    if (response.status === 401) signOut();
  }
  const reply = await response.json();
  if (!reply.success) throw new Error(reply.message || `${path} failed`);
  return reply;
}

async function signIn(form) {
  const response = await fetch('/oauth2/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'password', username: form.username.value, password: form.password.value }) });
  const reply = await response.json();
  if (!response.ok) return say(reply.error_description || 'sign-in failed');
  sessionStorage.setItem(TOKEN_KEY, reply.access_token);
  sessionStorage.setItem('ocp.email', form.username.value);
  form.reset();
  show();
}

function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  show();
}

async function loadPrinters() {
  const { printers } = await api('search', { extra_fields: 'queuedJobsCount,semanticState' });
  const body = $('#printers tbody');
  const select = $('#print-form select');
  body.replaceChildren();
  select.replaceChildren();
  for (const p of printers) {
    const row = document.createElement('tr');
    row.append(cell(p.displayName || p.name), cell(p.semanticState?.printer?.state ?? p.connectionStatus), cell(String(p.queuedJobsCount ?? '')), cell(p.id, 'id'), cell(`ipp://${location.host}/ipp/print/${p.id}`, 'id'), advertiseCell(p));
    body.append(row);
    select.append(new Option(p.displayName || p.name, p.id));
  }
}

/** The owner's choice to have `ocp server --ipp-advertise` announce the printer on the LAN (docs/ipp.md). */
function advertiseCell(p) {
  const td = document.createElement('td');
  if (p.ownerId !== sessionStorage.getItem('ocp.email')) return td;
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.title = 'Announce on the LAN as an IPP Everywhere / AirPrint printer';
  box.checked = (p.tags ?? []).includes('ipp-advertise');
  box.onchange = async () => {
    const change = box.checked ? { tag: 'ipp-advertise' } : { remove_tag: 'ipp-advertise' };
    await api('update', { printerid: p.id, ...change }).then(() => say(box.checked ? 'Announced on the LAN' : 'No longer announced', true), (e) => say(e.message));
    refresh();
  };
  td.append(box);
  return td;
}

async function loadJobs() {
  const { jobs } = await api('jobs', { limit: '50' });
  const body = $('#jobs tbody');
  body.replaceChildren();
  for (const job of jobs) {
    const row = document.createElement('tr');
    const state = job.semanticState?.state?.type ?? job.status;
    const created = job.createTime ? new Date(Number(job.createTime)).toLocaleString() : '';
    const cancel = document.createElement('button');
    cancel.textContent = 'Delete';
    cancel.onclick = async () => {
      await api('deletejob', { jobid: job.id }).then(() => say('Job deleted', true), (e) => say(e.message));
      refresh();
    };
    const actions = document.createElement('td');
    actions.append(cancel);
    row.append(cell(job.title), cell(job.printerName || job.printerid), cell(state), cell(String(job.semanticState?.pages_printed ?? '')), cell(created), actions);
    body.append(row);
  }
}

async function print(form) {
  const file = form.content.files[0];
  const data = new FormData();
  data.set('printerid', form.printerid.value);
  data.set('title', form.title.value || file.name);
  data.set('contentType', file.type || 'application/octet-stream');
  data.set('ticket', JSON.stringify({ version: '1.0', print: { copies: { copies: Number(form.copies.value) || 1 } } }));
  data.set('content', file, file.name);
  await api('submit', {}, data);
  say(`Sent “${file.name}”`, true);
  form.reset();
  refresh();
}

function refresh() {
  return Promise.all([loadPrinters(), loadJobs()]).catch((e) => say(e.message));
}

function show() {
  const signedIn = Boolean(sessionStorage.getItem(TOKEN_KEY));
  $('#sign-in').hidden = signedIn;
  $('#app').hidden = !signedIn;
  $('#sign-out').hidden = !signedIn;
  $('#who').textContent = signedIn ? sessionStorage.getItem('ocp.email') : '';
  if (signedIn) refresh();
}

$('#sign-in-form').addEventListener('submit', (e) => (e.preventDefault(), signIn(e.target)));
$('#print-form').addEventListener('submit', (e) => (e.preventDefault(), print(e.target).catch((err) => say(err.message))));
$('#sign-out').addEventListener('click', signOut);
show();
