// Signing in without a browser on this machine: the device authorization
// grant (RFC 8628). Asks the server for a device code and a user code (§3.1),
// shows the user where to enter the code (§3.3), and polls the token
// endpoint at the server's interval (§3.4) until the user approves or
// denies it, or the code expires (§3.5). `ocp login --device` uses it.
import { setTimeout as sleep } from 'node:timers/promises';
import { cloudUrls, type TokenGrant } from './cloudprint-api.ts';

const DEVICE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:device_code';
/** RFC 8628 §3.5: slow_down adds 5 s to the interval. */
const SLOW_DOWN_STEP_SECONDS = 5;
/** RFC 8628 §3.2: without an interval, poll every 5 s. */
const DEFAULT_INTERVAL_SECONDS = 5;
const REQUEST_TIMEOUT_MS = 30_000;

export interface DevicePrompt {
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
}

async function post(url: string, form: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', body: new URLSearchParams(form), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    throw new Error(`${url}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
  }
}

const describe = (body: Record<string, unknown>) => `${String(body.error ?? 'error')}${body.error_description ? `: ${String(body.error_description)}` : ''}`;

/** Runs the device flow against `cloudUrl` as `clientId`; `show` tells the user where to go. Resolves to the grant. */
export async function deviceLogin(cloudUrl: string, clientId: string, show: (prompt: DevicePrompt) => void): Promise<TokenGrant> {
  const { root } = cloudUrls(cloudUrl);
  const started = await post(`${root}/oauth2/device/code`, { client_id: clientId, scope: 'https://www.googleapis.com/auth/cloudprint' });
  if (started.status !== 200) throw new Error(`the server refused a device code: ${describe(started.body)}`);
  const deviceCode = String(started.body.device_code);
  const expiresIn = Number(started.body.expires_in);
  show({
    userCode: String(started.body.user_code),
    verificationUri: String(started.body.verification_uri ?? started.body.verification_url),
    verificationUriComplete: started.body.verification_uri_complete === undefined ? undefined : String(started.body.verification_uri_complete),
    expiresIn,
  });
  let interval = Number(started.body.interval) || DEFAULT_INTERVAL_SECONDS;
  const deadline = Date.now() + expiresIn * 1000;
  while (Date.now() < deadline) {
    await sleep(interval * 1000);
    const polled = await post(`${root}/oauth2/token`, { grant_type: DEVICE_GRANT_TYPE, device_code: deviceCode, client_id: clientId });
    if (polled.status === 200) return polled.body as unknown as TokenGrant;
    if (polled.body.error === 'authorization_pending') continue;
    if (polled.body.error === 'slow_down') {
      interval += SLOW_DOWN_STEP_SECONDS;
      continue;
    }
    if (polled.body.error === 'access_denied') throw new Error('the sign-in was denied on the verification page');
    if (polled.body.error === 'expired_token') break;
    throw new Error(`the sign-in failed: ${describe(polled.body)}`);
  }
  throw new Error('the code expired before it was approved; run the command again');
}
