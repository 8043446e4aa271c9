// The one stanza shape of the CCS (CCS §2): a <message> whose
// payload is <gcm xmlns="google:mobile:data"> holding JSON text. Shared by the
// server and the SDKs.
import { escapeXML, type Element } from 'ltx';
import { GCM_NAMESPACE } from './namespaces.ts';

/** Escapes JSON for a text node: only what XML requires, so quotes stay readable as in the original's traces. */
export function escapeText(json: string): string {
  return json.replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** `<message [id] [type]><gcm xmlns="google:mobile:data">JSON</gcm></message>` */
export function gcmStanza(json: string, options: { id?: string; type?: string } = {}): string {
  const id = options.id !== undefined ? ` id="${escapeXML(options.id)}"` : '';
  const type = options.type ? ` type="${escapeXML(options.type)}"` : '';
  return `<message${id}${type}><gcm xmlns="${GCM_NAMESPACE}">${escapeText(json)}</gcm></message>`;
}

/** The JSON text of a message's `<gcm>` payload, in any prefix (CCS §1.2: `<data:gcm xmlns:data=…>` too). */
export function gcmText(message: Element): string | undefined {
  const gcm = message.getChildElements().find((child) => child.getName() === 'gcm' && child.getNS() === GCM_NAMESPACE);
  return gcm?.getText();
}

/** The parsed JSON object of a `<gcm>` message; undefined for anything else. */
export function gcmJson(message: Element): Record<string, unknown> | undefined {
  if (!message.is('message')) return undefined;
  const text = gcmText(message);
  if (text === undefined) return undefined;
  try {
    const json: unknown = JSON.parse(text);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
