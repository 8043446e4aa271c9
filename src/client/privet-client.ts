// A Privet client (Privet §4–§6.2), behaving as Chrome's did
// [GCP §e "Chrome Privet client rules"]: every request
// carries X-Privet-Token (the literal "" for /privet/info), the token is
// refreshed from /privet/info on `invalid_x_privet_token`, and
// device_busy / printer_busy / pending_user_action are retried after the
// `timeout` the device gave, at most 20 times.

import { networkFailure } from './network-error.ts';

export interface PrivetError {
  error: string;
  description?: string;
  timeout?: number;
  [key: string]: unknown;
}

export class PrivetCallError extends Error {
  constructor(
    readonly api: string,
    readonly reply: PrivetError,
  ) {
    super(`${api}: ${reply.error}${reply.description ? ` (${reply.description})` : ''}`);
  }
}

const RETRIED = new Set(['device_busy', 'printer_busy', 'pending_user_action']);
const MAX_TRIES = 20;

export interface PrivetClientOptions {
  /** Shortest wait before a retry; Chrome's was 2 s, tests go faster. */
  minRetryMs?: number;
  /** Called before a retry, e.g. to tell the user to press the printer's button. */
  onWait?: (reply: PrivetError, waitMs: number) => void;
}

export class PrivetClient {
  private token: string | undefined;
  readonly base: string;

  constructor(
    base: string,
    private readonly options: PrivetClientOptions = {},
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  async info(): Promise<Record<string, unknown>> {
    const url = `${this.base}/privet/info`;
    const response = await fetch(url, { headers: { 'X-Privet-Token': '' } }).catch((error: unknown) => Promise.reject(networkFailure(url, error)));
    if (!response.ok) throw new Error(`/privet/info: HTTP ${response.status}`);
    const info = (await response.json()) as Record<string, unknown>;
    this.token = String(info['x-privet-token'] ?? '');
    return info;
  }

  /** Calls a Privet API; returns its JSON reply, or throws PrivetCallError. */
  async call(path: string, query: Record<string, string> = {}, body?: { data: string | Blob; type?: string }, method = 'POST'): Promise<Record<string, unknown>> {
    const url = `${this.base}${path}${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ''}`;
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      if (this.token === undefined) await this.info();
      const headers: Record<string, string> = { 'X-Privet-Token': this.token ?? '' };
      if (body?.type) headers['Content-Type'] = body.type;
      // A string or Blob body gets an exact Content-Length, which submitdoc requires (Privet §5.2).
      const response = await fetch(url, { method, headers, body: body?.data }).catch((error: unknown) => Promise.reject(networkFailure(url, error)));
      const text = await response.text();
      let reply: Record<string, unknown>;
      try {
        reply = JSON.parse(text) as Record<string, unknown>;
      } catch {
        throw new Error(`${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
      }
      if (typeof reply.error !== 'string') {
        if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
        return reply;
      }
      const error = reply as PrivetError;
      if (error.error === 'invalid_x_privet_token' && !refreshedToken) {
        refreshedToken = true;
        this.token = undefined;
        continue;
      }
      if (!RETRIED.has(error.error) || attempt >= MAX_TRIES || body) throw new PrivetCallError(path, error);
      const waitMs = Math.max(this.options.minRetryMs ?? 2000, (error.timeout ?? 15) * 1000 * (1 + Math.random() * 0.2));
      this.options.onWait?.(error, waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** The local registration sequence of Chrome (GCP §b3), step by step. */
  register(action: 'start' | 'getClaimToken' | 'cancel' | 'complete', user: string): Promise<Record<string, unknown>> {
    return this.call('/privet/register', { action, user });
  }

  capabilities(): Promise<Record<string, unknown>> {
    return this.call('/privet/capabilities', {}, undefined, 'GET');
  }

  createJob(ticket: unknown): Promise<Record<string, unknown>> {
    const json = JSON.stringify(ticket);
    return this.call('/privet/printer/createjob', {}, { data: json, type: 'application/json' });
  }

  submitDoc(query: Record<string, string>, document: Blob, type: string): Promise<Record<string, unknown>> {
    return this.call('/privet/printer/submitdoc', query, { data: document, type });
  }

  jobState(jobId: string): Promise<Record<string, unknown>> {
    return this.call('/privet/printer/jobstate', { job_id: jobId }, undefined, 'GET');
  }
}
