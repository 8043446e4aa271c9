// Reads the console's server-sent events (GET /console/events) in tests.
import assert from 'node:assert/strict';

/** Reads server-sent events from /console/events until `until` holds of the events so far. */
export async function readEvents(server: { url: string }, token: string, until: (events: string[]) => boolean, whileOpen: () => Promise<void>, timeoutMs = 5000): Promise<string[]> {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/console/events`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: string[] = [];
  let buffer = '';
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let started = false;
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        events.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
      if (!started && events.some((e) => e.startsWith('retry:'))) {
        started = true;
        await whileOpen();
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}
