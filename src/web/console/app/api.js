// The console's link to the server: the session (access token in memory,
// refresh token in an HttpOnly cookie the server sets, src/web/console-session.ts),
// the /cloudprint REST calls, uploads with progress, and the live event stream.
const CONSOLE_HEADER = { 'X-OCP-Console': '1' };
const session = { token: '', email: '', expiresAt: 0 };
let refreshing;
let refreshTimer;
const listeners = new Set();

/** Called with the signed-in email, or '' when the session ends. */
export function onSession(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function setSession(reply) {
  session.token = reply?.access_token ?? '';
  session.email = reply?.email ?? '';
  session.expiresAt = reply ? Date.now() + reply.expires_in * 1000 : 0;
  clearTimeout(refreshTimer);
  // Refresh a little before expiry, so calls rarely meet an expired token.
  if (reply) refreshTimer = setTimeout(() => refresh().catch(() => {}), Math.max(1000, reply.expires_in * 800));
  for (const listener of listeners) listener(session.email);
}

async function post(path, body) {
  const response = await fetch(path, { method: 'POST', credentials: 'same-origin', headers: { ...CONSOLE_HEADER, 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const reply = await response.json().catch(() => ({}));
  return { ok: response.ok, reply };
}

export async function signIn(email, password) {
  const { ok, reply } = await post('/console/session', { email, password });
  if (!ok) throw new Error(reply.message || 'Sign-in failed');
  setSession(reply);
}

/** A new access token from the refresh cookie; one at a time. A tab that lost a rotation race tries once more. */
export function refresh() {
  refreshing ??= (async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const { ok, reply } = await post('/console/session/refresh');
      if (ok) return setSession(reply);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    setSession(undefined);
    throw new Error('Your session ended; sign in again');
  })().finally(() => (refreshing = undefined));
  return refreshing;
}

/** Restores the session of a reloaded tab, if the cookie still holds one. */
export async function restore() {
  try {
    await refresh();
    return true;
  } catch {
    return false;
  }
}

export async function signOut(everywhere = false) {
  await fetch('/console/session/end', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { ...CONSOLE_HEADER, 'Content-Type': 'application/json', Authorization: `Bearer ${session.token}` },
    body: JSON.stringify(everywhere ? { everywhere: 'true' } : {}),
  }).catch(() => {});
  setSession(undefined);
}

export const email = () => session.email;

async function withToken(call) {
  if (!session.token || Date.now() > session.expiresAt - 2000) await refresh();
  let response = await call(session.token);
  if (response.status === 401) {
    await refresh();
    response = await call(session.token);
  }
  return response;
}

/** Calls /cloudprint/PATH with form parameters; throws the server's message when it refuses. */
export async function cloud(path, params = {}) {
  const body = new URLSearchParams(params);
  const response = await withToken((token) => fetch(`/cloudprint/${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body }));
  const reply = await response.json().catch(() => ({ success: false, message: `${path}: HTTP ${response.status}` }));
  if (!reply.success) throw new Error(reply.message || `${path} failed`);
  return reply;
}

/** GET of a console route (JSON), with the session's token. */
export async function consoleGet(path) {
  const response = await withToken((token) => fetch(path, { headers: { ...CONSOLE_HEADER, Authorization: `Bearer ${token}` } }));
  const reply = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(reply.message || `${path}: HTTP ${response.status}`);
  return reply;
}

/** A console route with a method and a JSON body, with the session's token; throws the server's message when it refuses. */
export async function consoleCall(method, path, body) {
  const headers = { ...CONSOLE_HEADER, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) };
  const response = await withToken((token) => fetch(path, { method, headers: { ...headers, Authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) }));
  const reply = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(reply.message || `${path}: HTTP ${response.status}`);
  return reply;
}

/** Submits a job as multipart (XMLHttpRequest: fetch has no upload progress); onProgress gets 0..1. */
export async function submit(fields, file, onProgress) {
  if (!session.token || Date.now() > session.expiresAt - 2000) await refresh();
  const data = new FormData();
  for (const [name, value] of Object.entries(fields)) data.set(name, value);
  data.set('content', file, file.name);
  const reply = await new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', '/cloudprint/submit');
    request.setRequestHeader('Authorization', `Bearer ${session.token}`);
    request.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    request.onload = () => {
      try {
        resolve(JSON.parse(request.responseText));
      } catch {
        reject(new Error(`The server answered HTTP ${request.status}`));
      }
    };
    request.onerror = () => reject(new Error('The upload failed: the server could not be reached'));
    request.send(data);
  });
  if (!reply.success) throw new Error(reply.message || 'The printer refused the job');
  onProgress(1);
  return reply;
}

/**
 * Follows GET /console/events (server-sent events read with fetch, so the
 * token goes in a header). Calls onChange({printerId, what}) per change and
 * onLive(true/false) as the stream comes and goes; reconnects until stopped.
 */
export function followEvents(onChange, onLive) {
  const controller = new AbortController();
  let stopped = false;
  (async () => {
    while (!stopped) {
      try {
        const response = await withToken((token) => fetch('/console/events', { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal }));
        if (!response.ok) throw new Error(`events: HTTP ${response.status}`);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event === 'ready') onLive(true);
            if (event === 'change' && data) onChange(JSON.parse(data));
          }
        }
      } catch {
        if (stopped) return;
      }
      onLive(false);
      // The server ends the stream when the token no longer holds: the next round refreshes it.
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  return () => {
    stopped = true;
    controller.abort();
  };
}
