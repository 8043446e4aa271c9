// Cloud print test helpers, all over real HTTP against a running test server:
// users with tokens, printers registered anonymously and claimed (with their
// robot credentials), jobs submitted.
import type { TestServer } from './server.ts';

export const SAMPLE_CDD = {
  version: '1.0',
  printer: {
    supported_content_type: [{ content_type: 'application/pdf', min_version: '1.2', max_version: '1.6' }, { content_type: 'text/plain' }, { content_type: 'image/pwg-raster' }],
    color: { option: [{ type: 'STANDARD_MONOCHROME', is_default: true }, { type: 'STANDARD_COLOR' }] },
    duplex: { option: [{ type: 'NO_DUPLEX', is_default: true }, { type: 'LONG_EDGE' }] },
    copies: { default: 1, max: 99 },
    media_size: {
      option: [
        { name: 'ISO_A4', width_microns: 210000, height_microns: 297000, is_default: true, vendor_id: 'A4' },
        { name: 'NA_LETTER', width_microns: 215900, height_microns: 279400, vendor_id: 'Letter' },
      ],
    },
  },
};

/** The connector's register semantic_state: note the empty version [GCP §a]. */
export const SAMPLE_CDS = { version: '', printer: { state: 'IDLE' } };

export const SAMPLE_LOCAL_SETTINGS = {
  current: { local_discovery: true, access_token_enabled: true, 'printer/local_printing_enabled': true, 'printer/conversion_printing_enabled': true, xmpp_timeout_value: 300 },
};

export type ParamValue = string | number | boolean | string[] | Blob | undefined;

export interface ApiReply<T = Record<string, any>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiOptions {
  token?: string;
  /** `form` (urlencoded, default), `multipart`, or `query` (GET with query parameters). */
  as?: 'form' | 'multipart' | 'query';
  /** Auth scheme: Bearer (default) or OAuth, as Chrome sends it. */
  scheme?: 'Bearer' | 'OAuth';
}

/** Calls /cloudprint/PATH and parses the JSON reply (or returns the text for non-JSON replies). */
export async function cloudApi<T = Record<string, any>>(server: Pick<TestServer, 'url'>, path: string, params: Record<string, ParamValue> = {}, options: ApiOptions = {}): Promise<ApiReply<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `${options.scheme ?? 'Bearer'} ${options.token}`;
  const url = new URL(`${server.url}/cloudprint/${path}`);
  let body: URLSearchParams | FormData | undefined;
  const as = options.as ?? 'form';
  if (as === 'multipart') {
    const form = new FormData();
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      if (value instanceof Blob) form.append(name, value, name === 'content' ? 'document' : name);
      else for (const item of Array.isArray(value) ? value : [value]) form.append(name, String(item));
    }
    body = form;
  } else {
    const search = as === 'query' ? url.searchParams : new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value === undefined) continue;
      if (value instanceof Blob) throw new Error('Blobs need as: multipart');
      for (const item of Array.isArray(value) ? value : [value]) search.append(name, String(item));
    }
    if (as === 'form') body = search;
  }
  const response = await fetch(url, { method: as === 'query' ? 'GET' : 'POST', headers, body });
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
  return { status: response.status, body: parsed as T, headers: response.headers };
}

let userCounter = 0;

export interface TestUser {
  email: string;
  password: string;
  /** An OAuth2 access token from the password grant. */
  token: string;
  id: string;
}

/** POST /oauth2/token with a form; the reply's status and JSON body. */
export async function oauthToken(server: Pick<TestServer, 'url'>, form: Record<string, string>): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${server.url}/oauth2/token`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Creates a user in the store, then signs in over HTTP (password grant). */
export async function createUser(server: TestServer, email = `user${++userCounter}-${process.pid}@example.com`, password = 'correct horse battery'): Promise<TestUser> {
  const account = await server.context.accounts.createUser(email, password);
  const grant = await oauthToken(server, { grant_type: 'password', username: email, password });
  if (grant.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(grant.body)}`);
  return { email: account.email!, password, token: grant.body.access_token, id: account.id };
}

export interface RegisterOptions {
  name?: string;
  capabilities?: unknown;
  semanticState?: unknown;
  localSettings?: unknown;
  extra?: Record<string, ParamValue>;
  /** Register with this token (owner or robot) instead of anonymously. */
  token?: string;
}

export function registerParams(options: RegisterOptions = {}): Record<string, ParamValue> {
  return {
    printer: options.name ?? 'Test Printer',
    proxy: 'test-proxy',
    uuid: crypto.randomUUID(),
    manufacturer: 'OpenCloudPrint',
    model: 'Test 1',
    gcp_version: '2.0',
    firmware: '1.0',
    use_cdd: 'true',
    capabilities: JSON.stringify(options.capabilities ?? SAMPLE_CDD),
    semantic_state: JSON.stringify(options.semanticState ?? SAMPLE_CDS),
    local_settings: JSON.stringify(options.localSettings ?? SAMPLE_LOCAL_SETTINGS),
    ...options.extra,
  };
}

/** Anonymous (or token-authenticated) registration, multipart like Chrome and the GCP 2.0 prototype. */
export async function registerPrinter(server: Pick<TestServer, 'url'>, options: RegisterOptions = {}): Promise<ApiReply> {
  return cloudApi(server, 'register', registerParams(options), { as: 'multipart', token: options.token });
}

export interface ClaimedPrinter {
  printerId: string;
  /** The robot's full JID, `jid_local@domain`. */
  xmppJid: string;
  jidLocal: string;
  /** The robot's OAuth2 tokens from the authorization_code exchange. */
  accessToken: string;
  refreshToken: string;
  registration: Record<string, any>;
}

/** register (anonymous) → confirm by `owner` → getauthcode → /oauth2/token: a printer with its robot credentials. */
export async function registerAndClaim(server: Pick<TestServer, 'url'>, owner: TestUser, options: RegisterOptions = {}): Promise<ClaimedPrinter> {
  const registered = await registerPrinter(server, options);
  if (!registered.body.success) throw new Error(`register failed: ${JSON.stringify(registered.body)}`);
  const registration = registered.body;
  const confirmed = await cloudApi(server, 'confirm', { token: registration.registration_token }, { token: owner.token });
  if (!confirmed.body.success) throw new Error(`confirm failed: ${JSON.stringify(confirmed.body)}`);
  const polled = await fetch(`${registration.polling_url}test-client`);
  const auth = (await polled.json()) as Record<string, string>;
  if (!auth.success) throw new Error(`getauthcode failed: ${JSON.stringify(auth)}`);
  const exchanged = await oauthToken(server, { grant_type: 'authorization_code', code: auth.authorization_code!, client_id: 'test-client', redirect_uri: 'oob' });
  if (exchanged.status !== 200) throw new Error(`code exchange failed: ${JSON.stringify(exchanged.body)}`);
  const grant = exchanged.body as { access_token: string; refresh_token: string };
  return {
    printerId: registration.printers[0].id,
    xmppJid: auth.xmpp_jid!,
    jidLocal: auth.xmpp_jid!.split('@')[0]!,
    accessToken: grant.access_token,
    refreshToken: grant.refresh_token,
    registration,
  };
}

export interface SubmitOptions {
  title?: string;
  content?: string | Uint8Array<ArrayBuffer>;
  contentType?: string;
  ticket?: unknown;
  tags?: string[];
}

/** Submits a job with a multipart document. */
export async function submitJob(server: Pick<TestServer, 'url'>, token: string, printerId: string, options: SubmitOptions = {}): Promise<ApiReply> {
  const contentType = options.contentType ?? 'application/pdf';
  return cloudApi(
    server,
    'submit',
    {
      printerid: printerId,
      title: options.title ?? 'test job',
      contentType,
      ticket: JSON.stringify(options.ticket ?? { version: '1.0', print: { copies: { copies: 1 } } }),
      tag: options.tags,
      content: new Blob([options.content ?? '%PDF-1.4 test document'], { type: contentType }),
    },
    { as: 'multipart', token },
  );
}
