// Reads the server's printer-change stream, GET /console/events (the web
// console's, src/web/console-events.ts): server-sent events (WHATWG HTML
// §9.2) with the access token in the Authorization header. `ready` comes once
// the server listens for changes; each `change` names a printer whose state,
// jobs or shares changed, for the client to re-read through /cloudprint.
import { cloudUrls } from './cloudprint-api.ts';
import { networkFailure } from './network-error.ts';

export const EVENTS_PATH = '/console/events';

export type PrinterEvent = { type: 'ready' } | { type: 'change'; printerId: string; what: string };

/** Thrown when the server does not offer the stream (an older server, or a refusal): HTTP status and body. */
export class EventStreamRefused extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * The events of one connection to the stream, until the server ends it or
 * `signal` aborts. Throws EventStreamRefused or a network failure when it
 * cannot open.
 */
export async function* printerEvents(cloudUrl: string, accessToken: string, signal: AbortSignal): AsyncGenerator<PrinterEvent> {
  const url = cloudUrls(cloudUrl).root + EVENTS_PATH;
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream' }, signal });
  } catch (error) {
    if (signal.aborted) return;
    throw networkFailure(url, error);
  }
  if (!response.ok || !(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const body = await response.text().catch(() => '');
    throw new EventStreamRefused(response.status, `${url}: HTTP ${response.status} ${body.slice(0, 200)}`.trimEnd());
  }
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      // §9.2.6: events end at a blank line; lines end in CRLF, LF or CR.
      const blocks = buffered.split(/\r\n\r\n|\n\n|\r\r/);
      buffered = blocks.pop() ?? '';
      for (const block of blocks) {
        const event = parseEvent(block);
        if (event) yield event;
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    throw networkFailure(url, error);
  }
}

function parseEvent(block: string): PrinterEvent | undefined {
  let name = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (line.startsWith(':')) continue; // a comment: the keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
  }
  if (name === 'ready') return { type: 'ready' };
  if (name !== 'change') return undefined;
  try {
    const change = JSON.parse(data.join('\n')) as { printerId?: unknown; what?: unknown };
    return typeof change.printerId === 'string' ? { type: 'change', printerId: change.printerId, what: String(change.what ?? '') } : undefined;
  } catch {
    return undefined;
  }
}
