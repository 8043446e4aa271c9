// Request parameters the way real clients sent them [GCP §a]:
// query string, form-urlencoded body and multipart body all count, and every
// name may repeat (`tag`). A multipart part named `content` is the print
// document and is streamed to disk; other file parts (Chrome sends
// `capabilities` as a part with Content-Type application/json) are fields.
import type { FastifyRequest } from 'fastify';
import type { Multipart } from '@fastify/multipart';
import { CloudError } from './errors.ts';
import type { DocumentStore, ReceivedDocument } from './documents.ts';

/** Largest value of a non-document field, in bytes. */
export const MAX_FIELD_BYTES = 10 * 1024 * 1024;

export class Params {
  constructor(private readonly values: Map<string, string[]>) {}

  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  all(name: string): string[] {
    return this.values.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  require(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === '') throw new CloudError('MISSING_PARAMETER', `Missing parameter: ${name}`);
    return value;
  }

  /** `true`/`false` (any case, or 1/0); `fallback` when absent. */
  bool(name: string, fallback = false): boolean {
    const value = this.get(name);
    if (value === undefined || value === '') return fallback;
    if (/^(true|1)$/i.test(value)) return true;
    if (/^(false|0)$/i.test(value)) return false;
    throw new CloudError('INVALID_PARAMETER', `Parameter ${name} must be true or false, got "${value}"`);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.get(name);
    if (value === undefined || value === '') return fallback;
    const number = Number(value);
    if (!/^-?\d+$/.test(value) || number < min || number > max) {
      throw new CloudError('INVALID_PARAMETER', `Parameter ${name} must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return number;
  }

  /** Parses a JSON parameter; invalid JSON is reported with the parameter's name. */
  json(name: string): unknown {
    const value = this.get(name);
    if (value === undefined || value === '') return undefined;
    try {
      return JSON.parse(value) as unknown;
    } catch (error) {
      throw new CloudError('INVALID_JSON', `Parameter ${name} is not valid JSON: ${(error as Error).message}`);
    }
  }

  /** The `request.params` echo of the original responses: every value as an array; an inline document is left out. */
  echo(): Record<string, string[]> {
    const echoed = Object.fromEntries(this.values);
    delete echoed.content;
    return echoed;
  }
}

function add(values: Map<string, string[]>, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const list = values.get(name) ?? [];
  const texts = Array.isArray(value) ? value.map(String) : [typeof value === 'object' ? JSON.stringify(value) : String(value)];
  // No parameter has a use for NUL, and PostgreSQL cannot store it in text.
  if (texts.some((text) => text.includes('\0'))) throw new CloudError('INVALID_PARAMETER', `Parameter ${name} contains a NUL character`);
  list.push(...texts);
  values.set(name, list);
}

function addAll(values: Map<string, string[]>, source: unknown): void {
  if (!source || typeof source !== 'object') return;
  for (const [name, value] of Object.entries(source)) add(values, name, value);
}

export function tooLarge(maxDocumentSize: number | undefined): CloudError {
  return new CloudError('DOCUMENT_TOO_LARGE', `Document is larger than the limit of ${maxDocumentSize ?? '?'} bytes`);
}

/** Maps the multipart parser's errors to the envelope's. */
function uploadError(error: unknown, maxDocumentSize: number | undefined): unknown {
  if (error instanceof CloudError) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  if (code === 'FST_REQ_FILE_TOO_LARGE') return tooLarge(maxDocumentSize);
  if (/unexpected end|terminated early|aborted|ECONNRESET|premature close/i.test(message) || code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new CloudError('UPLOAD_INCOMPLETE', `Upload incomplete: ${message}`);
  }
  if (code?.startsWith('FST_') || /multipart|boundary/i.test(message)) return new CloudError('MALFORMED_REQUEST', `Malformed multipart body: ${message}`);
  return error;
}

async function readPartText(part: Extract<Multipart, { type: 'file' }>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of part.file) {
    size += (chunk as Buffer).length;
    if (size > MAX_FIELD_BYTES) throw new CloudError('MALFORMED_REQUEST', `Field ${part.fieldname} is larger than ${MAX_FIELD_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface ReadRequest {
  params: Params;
  /** The uploaded `content` file, in a temporary file the caller must commit or discard. */
  document?: ReceivedDocument;
  documentType?: string;
}

export interface DocumentOptions {
  store: DocumentStore;
  maxDocumentSize: number;
  /** Runs on the fields read so far before a document is streamed: may refuse it without storing a byte. */
  beforeDocument?: (params: Params) => Promise<void>;
}

/**
 * Reads every parameter of a request. With `documents`, a `content` file part
 * is streamed to a temporary file (limit: the multipart fileSize limit, which
 * is --max-document-size); without it, such a part counts as a field.
 */
export async function readRequest(request: FastifyRequest, documents?: DocumentOptions): Promise<ReadRequest> {
  const maxDocumentSize = documents?.maxDocumentSize;
  const values = new Map<string, string[]>();
  addAll(values, request.query);
  if (!request.isMultipart()) {
    addAll(values, request.body);
    return { params: new Params(values) };
  }
  const result: ReadRequest = { params: new Params(values) };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.valueTruncated) throw new CloudError('MALFORMED_REQUEST', `Field ${part.fieldname} is larger than ${MAX_FIELD_BYTES} bytes`);
        add(values, part.fieldname, part.value);
      } else if (part.fieldname === 'content' && documents) {
        if (result.document) throw new CloudError('MALFORMED_REQUEST', 'Only one content part is allowed');
        await documents.beforeDocument?.(result.params);
        part.file.once('limit', () => part.file.destroy(tooLarge(maxDocumentSize)));
        result.document = await documents.store.receive(part.file);
        result.documentType = part.mimetype;
      } else {
        add(values, part.fieldname, await readPartText(part));
      }
    }
  } catch (error) {
    await documents?.store.discard(result.document);
    throw uploadError(error, maxDocumentSize);
  }
  return result;
}
