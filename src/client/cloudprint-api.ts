// A typed client of the /cloudprint REST API and /oauth2/token, speaking the
// wire format real devices used (GCP §a, §b): every call is a
// POST, form-urlencoded, or multipart where files travel; replies are the
// {success, message, errorCode, ...} envelope except /ticket and downloads.
// Used by the Privet printer (src/privet) and the `ocp` client commands.
import { certificateAdvice, SYSTEM_TRUST } from '../tls/verify-advice.ts';
import { networkCause } from './network-error.ts';

/** Why a call failed: no answer at all, an HTTP error, or success:false. */
export type CloudFailure = 'offline' | 'http' | 'api';

export class CloudPrintError extends Error {
  constructor(
    message: string,
    readonly kind: CloudFailure,
    /** The API that failed, e.g. "/register" (Privet §4.6 server_api). */
    readonly api: string,
    readonly httpStatus?: number,
    readonly errorCode?: number,
  ) {
    super(message);
  }

  /** Only 5xx and transport failures are worth retrying (GCP §a). */
  get retryable(): boolean {
    return this.kind === 'offline' || (this.kind === 'http' && (this.httpStatus ?? 0) >= 500);
  }
}

export interface Envelope {
  success: boolean;
  message?: string;
  errorCode?: number;
  [key: string]: unknown;
}

export interface TokenGrant {
  access_token: string;
  token_type?: string;
  expires_in: number;
  refresh_token?: string;
  scope?: string;
}

export interface AnonymousRegistration extends Envelope {
  printers: Array<{ id: string; [key: string]: unknown }>;
  registration_token: string;
  token_duration: string;
  invite_url?: string;
  complete_invite_url: string;
  automated_invite_url?: string;
  invite_page_url?: string;
  polling_url: string;
  oauth_scope?: string;
}

export interface AuthCodeReply extends Envelope {
  xmpp_jid: string;
  user_email: string;
  authorization_code: string;
  confirmation_page_url?: string;
}

export interface LocalSettingsSection {
  current?: Record<string, unknown>;
  pending?: Record<string, unknown>;
}

export interface CloudPrinter {
  id: string;
  name?: string;
  local_settings?: LocalSettingsSection;
  [key: string]: unknown;
}

export interface CloudJob {
  id: string;
  title?: string;
  fileUrl: string;
  ticketUrl?: string;
  ownerId?: string;
  contentType?: string;
  createTime?: string;
  [key: string]: unknown;
}

export type FormValue = string | number | boolean | Blob | readonly string[] | undefined;
export type Form = Record<string, FormValue>;

export interface CloudPrintApiOptions {
  /** Base URL of the cloud print API, e.g. http://host:8080/cloudprint (with or without the /cloudprint suffix). */
  cloudUrl: string;
  /** Returns the current access token, or undefined for anonymous calls. */
  accessToken?: () => Promise<string | undefined>;
  /** X-CloudPrint-Proxy header value. */
  proxy?: string;
  /** OAuth2 client id sent with code exchanges and getauthcode. */
  clientId?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
}

/** `http://h:p` or `http://h:p/cloudprint` → `{api: http://h:p/cloudprint, root: http://h:p}`. */
export function cloudUrls(cloudUrl: string): { api: string; root: string } {
  const trimmed = cloudUrl.replace(/\/+$/, '');
  const root = trimmed.replace(/\/cloudprint$/, '');
  return { api: `${root}/cloudprint`, root };
}

export class CloudPrintApi {
  readonly apiUrl: string;
  readonly tokenUrl: string;
  readonly revokeUrl: string;
  readonly clientId: string;
  /** Server clock minus ours, from the Date header of the last reply (HTTP dates have 1 s resolution). */
  clockSkewMs = 0;

  constructor(private readonly options: CloudPrintApiOptions) {
    const { api, root } = cloudUrls(options.cloudUrl);
    this.apiUrl = api;
    this.tokenUrl = `${root}/oauth2/token`;
    this.revokeUrl = `${root}/oauth2/revoke`;
    this.clientId = options.clientId ?? 'opencloudprint-device';
  }

  private async send(api: string, url: string, init: RequestInit & { anonymous?: boolean; onUploadProgress?: UploadProgress }): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.options.proxy) headers.set('X-CloudPrint-Proxy', this.options.proxy);
    if (!init.anonymous && this.options.accessToken) {
      const token = await this.options.accessToken();
      if (token) headers.set('Authorization', `Bearer ${token}`);
    }
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    let response: Response;
    try {
      const body = init.onUploadProgress && init.body instanceof FormData ? countedBody(init.body, headers, init.onUploadProgress) : init.body;
      response = await fetch(url, { ...init, body, headers, signal: init.signal ?? AbortSignal.timeout(timeoutMs), ...(body !== init.body ? { duplex: 'half' } : {}) } as RequestInit);
    } catch (error) {
      const advice = certificateAdvice(error, new URL(url).hostname.replace(/^\[(.*)\]$/, '$1'), SYSTEM_TRUST);
      throw new CloudPrintError(`${api}: cannot reach ${url}: ${networkCause(error, init.signal ? undefined : timeoutMs)}${advice ? `: ${advice}` : ''}`, 'offline', api);
    }
    const serverDate = Date.parse(response.headers.get('date') ?? '');
    if (!Number.isNaN(serverDate)) this.clockSkewMs = serverDate - Date.now();
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let parsed: Envelope | undefined;
      try {
        parsed = JSON.parse(text) as Envelope;
      } catch {
        // not JSON
      }
      throw new CloudPrintError(`${api}: HTTP ${response.status} ${parsed?.message ?? text.slice(0, 200)}`, 'http', api, response.status, parsed?.errorCode);
    }
    return response;
  }

  /** POSTs a /cloudprint call and unwraps the envelope; success:false throws unless `allowFailure`. */
  async call<T extends Envelope = Envelope>(name: string, form: Form = {}, opts: { multipart?: boolean; anonymous?: boolean; allowFailure?: boolean; onUploadProgress?: UploadProgress } = {}): Promise<T> {
    const api = `/${name}`;
    const response = await this.send(api, `${this.apiUrl}/${name}`, { method: 'POST', body: encodeForm(form, opts.multipart ?? false), anonymous: opts.anonymous, onUploadProgress: opts.onUploadProgress });
    let envelope: T;
    try {
      envelope = (await response.json()) as T;
    } catch {
      throw new CloudPrintError(`${api}: reply is not JSON`, 'http', api, response.status);
    }
    if (!envelope.success && !opts.allowFailure) throw new CloudPrintError(`${api}: ${envelope.message ?? 'failed'}`, 'api', api, response.status, envelope.errorCode);
    return envelope;
  }

  // --- device registration (GCP §b2) ---

  /** Anonymous /register of a cloud-ready printer (multipart, no credentials). */
  register(fields: Form): Promise<AnonymousRegistration> {
    return this.call<AnonymousRegistration>('register', fields, { multipart: true, anonymous: true });
  }

  /** Polls the `polling_url` of a registration; undefined until the printer is claimed. */
  async pollAuthCode(pollingUrl: string): Promise<AuthCodeReply | undefined> {
    const url = pollingUrl + encodeURIComponent(this.clientId);
    const response = await this.send('/getauthcode', url, { method: 'POST', anonymous: true });
    const envelope = (await response.json()) as AuthCodeReply;
    return envelope.success ? envelope : undefined;
  }

  /** RFC 6749 §4.1.3 code exchange at /oauth2/token. */
  exchangeCode(code: string): Promise<TokenGrant> {
    return this.token({ grant_type: 'authorization_code', code, client_id: this.clientId, redirect_uri: 'oob' });
  }

  /** RFC 6749 §6 refresh. */
  refresh(refreshToken: string): Promise<TokenGrant> {
    return this.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: this.clientId });
  }

  /** The password grant (the CLI's log-in). */
  password(username: string, password: string): Promise<TokenGrant> {
    return this.token({ grant_type: 'password', username, password, client_id: this.clientId });
  }

  /** RFC 7009 revocation; revoking a refresh token ends its whole grant. */
  async revoke(token: string): Promise<void> {
    await this.send('/oauth2/revoke', this.revokeUrl, { method: 'POST', body: new URLSearchParams({ token, client_id: this.clientId }), anonymous: true });
  }

  private async token(form: Record<string, string>): Promise<TokenGrant> {
    const response = await this.send('/oauth2/token', this.tokenUrl, { method: 'POST', body: new URLSearchParams(form), anonymous: true });
    return (await response.json()) as TokenGrant;
  }

  // --- printer side ---

  /** /printer: undefined when the reply is success:false without a printer (deleted, Privet §4.1.5). */
  async printer(printerId: string): Promise<CloudPrinter | undefined> {
    let reply: Envelope & { printers?: CloudPrinter[] };
    try {
      reply = await this.call('printer', { printerid: printerId, use_cdd: true, extra_fields: 'queuedJobsCount,semanticState' }, { allowFailure: true });
    } catch (error) {
      // A 404 carrying the API's own envelope (not a wrong URL) also says "no such printer".
      if (error instanceof CloudPrintError && error.httpStatus === 404 && error.errorCode !== undefined) return undefined;
      throw error;
    }
    const printer = reply.printers?.[0];
    if (!reply.success || !printer) {
      if (reply.success === false && (reply.errorCode ?? 0) >= 500) throw new CloudPrintError(`/printer: ${reply.message}`, 'api', '/printer', 200, reply.errorCode);
      return undefined;
    }
    return printer;
  }

  update(printerId: string, fields: Form): Promise<Envelope> {
    return this.call('update', { printerid: printerId, ...fields }, { multipart: true });
  }

  delete(printerId: string): Promise<Envelope> {
    return this.call('delete', { printerid: printerId });
  }

  list(proxy?: string): Promise<Envelope & { printers: CloudPrinter[] }> {
    return this.call('list', { proxy });
  }

  /** /fetch: the queued jobs; errorCode 413 means none (GCP §a). */
  async fetchJobs(printerId: string): Promise<CloudJob[]> {
    const reply = await this.call<Envelope & { jobs?: CloudJob[] }>('fetch', { printerid: printerId }, { allowFailure: true });
    if (reply.success) return reply.jobs ?? [];
    if (reply.errorCode === 413) return [];
    throw new CloudPrintError(`/fetch: ${reply.message ?? 'failed'}`, 'api', '/fetch', 200, reply.errorCode);
  }

  /** /ticket: the raw CJT, no envelope. */
  async ticket(jobId: string): Promise<unknown> {
    const response = await this.send('/ticket', `${this.apiUrl}/ticket`, { method: 'POST', body: new URLSearchParams({ jobid: jobId, use_cjt: 'true' }) });
    return response.json();
  }

  /**
   * GETs a job's fileUrl with the device's credentials; the body is a stream.
   * `signal` replaces the per-request timeout, which would otherwise also cut
   * a long body: the caller then decides when the download has stalled.
   */
  download(fileUrl: string, options: { accept?: string; signal?: AbortSignal } = {}): Promise<Response> {
    const url = /^https?:/.test(fileUrl) ? fileUrl : new URL(fileUrl, this.apiUrl + '/').href;
    return this.send('/download', url, { method: 'GET', headers: options.accept ? { Accept: options.accept } : undefined, signal: options.signal });
  }

  /** /control with a PrintJobStateDiff (GCP §d). */
  control(jobId: string, diff: { state?: unknown; pages_printed?: number }): Promise<Envelope> {
    return this.call('control', { jobid: jobId, semantic_state_diff: JSON.stringify(diff) });
  }

  /** /submit: a new job, or (Privet §5.2) the report of a finished local job with final_semantic_state. */
  submit(fields: Form, onUploadProgress?: UploadProgress): Promise<Envelope & { job?: { id: string; [key: string]: unknown } }> {
    return this.call('submit', fields, { multipart: true, onUploadProgress });
  }

  /** /proximitytoken (Privet §4.4). */
  proximityToken(printerId: string, user: string): Promise<Envelope & { proximity_token?: Record<string, unknown> }> {
    return this.call('proximitytoken', { printerid: printerId, user });
  }

  jobs(fields: Form = {}): Promise<Envelope & { jobs: Array<Record<string, unknown>> }> {
    return this.call('jobs', fields);
  }
}

/** Told the bytes of a request body sent so far. */
export type UploadProgress = (sentBytes: number) => void;

/**
 * `form` encoded as multipart (the encoding fetch itself would use), as a
 * stream that counts the bytes fetch takes from it; sets the Content-Type
 * with its boundary in `headers`.
 */
function countedBody(form: FormData, headers: Headers, onProgress: UploadProgress): ReadableStream<Uint8Array> {
  const encoded = new Request('http://multipart.invalid/', { method: 'POST', body: form });
  headers.set('content-type', encoded.headers.get('content-type')!);
  let sent = 0;
  return encoded.body!.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.byteLength;
        onProgress(sent);
        controller.enqueue(chunk);
      },
    }),
  );
}

function encodeForm(form: Form, multipart: boolean): URLSearchParams | FormData {
  if (multipart) {
    const data = new FormData();
    for (const [key, value] of Object.entries(form)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) data.append(key, item);
      else if (value instanceof Blob) data.append(key, value, key);
      else data.append(key, String(value));
    }
    return data;
  }
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    if (value === undefined || value instanceof Blob) continue;
    if (Array.isArray(value)) for (const item of value) params.append(key, item);
    else params.append(key, String(value));
  }
  return params;
}

/** A refresh token that other processes use and rotate too (the `ocp` commands' saved sign-in). */
export interface SharedRefreshToken {
  /** Runs `work` while no other process refreshes. */
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  /** The refresh token as last saved by any of them. */
  latest(): string | undefined;
}

/**
 * Keeps an access token fresh from a refresh token: a new one is fetched at
 * 80 % of its lifetime (GCP §b1 step 6), or when invalidated.
 */
export class AccessTokenSource {
  private token: string | undefined;
  private renewAt = 0;
  private inflight: Promise<string> | undefined;

  constructor(
    private readonly api: () => CloudPrintApi,
    private refreshToken: string,
    /** Called when the server rotates the refresh token, to persist the new one. */
    private readonly onRotate: (refreshToken: string) => void = () => {},
    private readonly shared?: SharedRefreshToken,
  ) {}

  invalidate(): void {
    this.token = undefined;
  }

  async get(): Promise<string> {
    if (this.token && Date.now() < this.renewAt) return this.token;
    this.inflight ??= (async () => {
      try {
        return await (this.shared ? this.shared.exclusive(() => this.renew()) : this.renew());
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  private async renew(): Promise<string> {
    this.refreshToken = this.shared?.latest() ?? this.refreshToken;
    const grant = await this.api().refresh(this.refreshToken);
    if (grant.refresh_token && grant.refresh_token !== this.refreshToken) {
      this.refreshToken = grant.refresh_token;
      this.onRotate(grant.refresh_token);
    }
    this.token = grant.access_token;
    this.renewAt = Date.now() + grant.expires_in * 800;
    return grant.access_token;
  }
}
