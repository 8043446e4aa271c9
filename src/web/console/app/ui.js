// Shared pieces: html (htm bound to Preact), a confirmation dialog, and the
// status line every page reports to.
import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import htm from 'htm';

export const html = htm.bind(h);

/** A modal <dialog> asking to confirm a destructive action; focus goes to Cancel first. */
export function Confirm({ question, action, onConfirm, onClose }) {
  const dialog = useRef();
  useEffect(() => {
    dialog.current.showModal();
    return () => dialog.current?.open && dialog.current.close();
  }, []);
  return html`<dialog ref=${dialog} aria-labelledby="confirm-question" onClose=${onClose}>
    <p id="confirm-question">${question}</p>
    <div class="buttons">
      <button type="button" autofocus onClick=${() => dialog.current.close()}>Keep it</button>
      <button type="button" class="danger" onClick=${() => (onConfirm(), dialog.current.close())}>${action}</button>
    </div>
  </dialog>`;
}

let carried = '';

/** Goes to another page with a message for its status line (a page change otherwise clears it). */
export function navigate(hash, message) {
  carried = message;
  location.hash = hash;
}

/** The message a navigation carried, once. */
export function takeCarried() {
  const message = carried;
  carried = '';
  return message;
}

export function formatTime(ms) {
  return ms ? new Date(Number(ms)).toLocaleString() : '';
}
