// Jobs: the user's jobs and those of the printers they own, kept current by the event stream; the
// state in words with why it waits or was aborted, pages printed; filters by
// state, printer and title; cancel and delete with confirmation.
import { useState } from 'preact/hooks';
import { cloud } from './api.js';
import { Confirm, formatTime, html } from './ui.js';
import { FINAL, JOB_LABEL, jobReason, jobState } from './words.js';

const FILTERS = { all: 'All', active: 'Not finished', DONE: 'Done', ABORTED: 'Aborted' };
const CANCEL = JSON.stringify({ state: { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } } });

function JobItem({ job, email, reload, say }) {
  const [confirming, setConfirming] = useState(undefined);
  const state = jobState(job);
  const reason = jobReason(job);
  async function act(kind) {
    try {
      if (kind === 'cancel') await cloud('control', { jobid: job.id, semantic_state_diff: CANCEL });
      else await cloud('deletejob', { jobid: job.id });
      say(kind === 'cancel' ? `Cancelled “${job.title}”` : `Deleted “${job.title}”`);
      reload();
    } catch (error) {
      say(error.message, 'error');
    }
  }
  return html`<li class="card job" data-state=${state}>
    <h2>${job.title}</h2>
    <p><span class=${`badge job-${state.toLowerCase()}`}>${JOB_LABEL[state] ?? state}</span>${reason && html`<span class="reason">: ${reason}</span>`}</p>
    <p>${job.printerName}${job.ownerId && job.ownerId !== email ? ` · by ${job.ownerId}` : ''} · ${job.numberOfPages ?? 0} ${job.numberOfPages === 1 ? 'page' : 'pages'} printed · ${formatTime(job.createTime)}</p>
    <div class="buttons">
      ${!FINAL.has(state) && html`<button type="button" onClick=${() => setConfirming('cancel')} aria-label=${`Cancel ${job.title}`}>Cancel</button>`}
      <button type="button" class="danger" onClick=${() => setConfirming('delete')} aria-label=${`Delete ${job.title}`}>Delete</button>
    </div>
    ${confirming &&
    html`<${Confirm}
      question=${confirming === 'cancel' ? `Cancel “${job.title}”? The printer stops it.` : `Delete “${job.title}” and its document?`}
      action=${confirming === 'cancel' ? 'Cancel job' : 'Delete job'}
      onConfirm=${() => act(confirming)}
      onClose=${() => setConfirming(undefined)}
    />`}
  </li>`;
}

export function JobsPage({ jobs, printers, email, reload, say }) {
  const [filter, setFilter] = useState('all');
  const [printer, setPrinter] = useState('');
  const [text, setText] = useState('');
  if (!jobs) return html`<p>Loading jobs…</p>`;
  const shown = jobs.filter((job) => {
    const state = jobState(job);
    if (filter === 'active' && FINAL.has(state)) return false;
    if (filter !== 'all' && filter !== 'active' && state !== filter) return false;
    if (printer && job.printerid !== printer) return false;
    return !text || job.title.toLowerCase().includes(text.toLowerCase());
  });
  return html`
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filter jobs">
      <div><label for="job-state">State</label>
      <select id="job-state" value=${filter} onChange=${(e) => setFilter(e.currentTarget.value)}>${Object.entries(FILTERS).map(([value, name]) => html`<option value=${value}>${name}</option>`)}</select></div>
      <div><label for="job-printer">Printer</label>
      <select id="job-printer" value=${printer} onChange=${(e) => setPrinter(e.currentTarget.value)}>
        <option value="">All printers</option>
        ${(printers ?? []).map((p) => html`<option value=${p.id}>${p.displayName || p.name}</option>`)}
      </select></div>
      <div><label for="job-text">Title</label>
      <input id="job-text" type="search" value=${text} onInput=${(e) => setText(e.currentTarget.value)} /></div>
    </form>
    <p aria-live="polite">${shown.length} of ${jobs.length} jobs</p>
    <ul class="cards" aria-label="Jobs">${shown.map((job) => html`<${JobItem} key=${job.id} job=${job} email=${email} reload=${reload} say=${say} />`)}</ul>`;
}
