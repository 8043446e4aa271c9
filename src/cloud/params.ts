// Request parameters the way real clients sent them [GCP §a]:
// query string, form-urlencoded body and multipart body all count, and every
// name may repeat (`tag`). A multipart part named `content` is the print
// document and is streamed to disk; other file parts (Chrome sends
// `capabilities` as a part with Content-Type application/json) are fields.
// Every multipart field is held to a size limit as it is read, before the
// route authenticates the caller: a few KB for ordinary fields, more for the
// few that carry JSON documents.
import type { FastifyRequest } from 'fastify';
import type { Multipart } from '@fastify/multipart';
import { CloudError } from './errors.ts';
import type { DocumentStore, ReceivedDocument } from './documents.ts';
import { hasNul, parseJson } from '../input-checks.ts';

/** The fields that carry a JSON document (CDD, CJT, CDS, local settings) or an inline text document. */
const JSON_FIELDS = new Set(['capabilities', 'ticket', 'semantic_state', 'semantic_state_diff', 'final_semantic_state', 'local_settings', 'content']);

export interface FieldLimits {
  /** Largest ordinary field, in bytes (--max-field-size). */
  field: number;
  /** Largest field of JSON_FIELDS, in bytes (--max-json-field-size). */
  jsonField: number;
  /** Deepest nesting a JSON field may have (--max-json-depth). */
  jsonDepth: number;
}

function limitOf(name: string, limits: FieldLimits): number {
  return JSON_FIELDS.has(name) ? limits.jsonField : limits.field;
}

function fieldTooLarge(name: string, limit: number): CloudError {
  return new CloudError('INVALID_PARAMETER', `Parameter ${shorten(name)} is larger than ${limit} bytes`, 413);
}

/** A value as error replies show it: long ones are cut, so a reply never carries a large parameter back. */
export const ECHO_VALUE_CHARS = 256;

export function shorten(value: string, chars = ECHO_VALUE_CHARS): string {
  return value.length > chars ? `${value.slice(0, chars)}… (${value.length} characters)` : value;
}

export class Params {
  constructor(
    private readonly values: Map<string, string[]>,
    private readonly maxJsonDepth: number,
  ) {}

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
    throw new CloudError('INVALID_PARAMETER', `Parameter ${name} must be true or false, got "${shorten(value)}"`);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.get(name);
    if (value === undefined || value === '') return fallback;
    const number = Number(value);
    if (!/^-?\d+$/.test(value) || number < min || number > max) {
      throw new CloudError('INVALID_PARAMETER', `Parameter ${name} must be a whole number from ${min} to ${max}, got "${shorten(value)}"`);
    }
    return number;
  }

  /** Parses a JSON parameter; invalid JSON is reported with the parameter's name. */
  json(name: string): unknown {
    const value = this.get(name);
    if (value === undefined || value === '') return undefined;
    try {
      return parseJson(value, this.maxJsonDepth);
    } catch (error) {
      throw new CloudError('INVALID_JSON', `Parameter ${name} is not valid JSON: ${(error as Error).message}`);
    }
  }

  /**
   * The `request.params` echo of the original responses: every value as an
   * array; an inline document is left out. `shortened` cuts long values (error
   * replies, which may answer a caller nobody authenticated).
   */
  echo(shortened = false): Record<string, string[]> {
    const echoed = Object.fromEntries([...this.values].map(([name, list]) => [shortened ? shorten(name) : name, shortened ? list.map((value) => shorten(value)) : list]));
    delete echoed.content;
    return echoed;
  }
}

function add(values: Map<string, string[]>, name: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const list = values.get(name) ?? [];
  const texts = Array.isArray(value) ? value.map(String) : [typeof value === 'object' ? JSON.stringify(value) : String(value)];
  // No parameter has a use for NUL, and PostgreSQL cannot store it in text.
  if (texts.some(hasNul)) throw new CloudError('INVALID_PARAMETER', `Parameter ${name} contains a NUL character`);
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

/** A file part that is a field, read up to its limit: the first byte over it ends the request. */
async function readPartText(part: Extract<Multipart, { type: 'file' }>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of part.file) {
    size += (chunk as Buffer).length;
    if (size > limit) throw fieldTooLarge(part.fieldname, limit);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A multipart field part, which the parser buffered up to its own limit (the larger of the two) and then only counted. */
function fieldText(part: Extract<Multipart, { type: 'field' }>, limit: number): unknown {
  if (part.valueTruncated || (typeof part.value === 'string' && Buffer.byteLength(part.value) > limit)) throw fieldTooLarge(part.fieldname, limit);
  return part.value;
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
export async function readRequest(request: FastifyRequest, limits: FieldLimits, documents?: DocumentOptions): Promise<ReadRequest> {
  const maxDocumentSize = documents?.maxDocumentSize;
  const values = new Map<string, string[]>();
  addAll(values, request.query);
  if (!request.isMultipart()) {
    addAll(values, request.body);
    return { params: new Params(values, limits.jsonDepth) };
  }
  const result: ReadRequest = { params: new Params(values, limits.jsonDepth) };
  try {
    for await (const part of request.parts()) {
      const limit = limitOf(part.fieldname, limits);
      // One copy of a large field: repeats would multiply what a request can make us hold.
      if (limit > limits.field && values.has(part.fieldname)) throw new CloudError('INVALID_PARAMETER', `Parameter ${part.fieldname} may be sent only once`);
      if (part.type === 'field') {
        add(values, part.fieldname, fieldText(part, limit));
      } else if (part.fieldname === 'content' && documents) {
        if (result.document) throw new CloudError('MALFORMED_REQUEST', 'Only one content part is allowed');
        await documents.beforeDocument?.(result.params);
        part.file.once('limit', () => part.file.destroy(tooLarge(maxDocumentSize)));
        result.document = await documents.store.receive(part.file);
        result.documentType = part.mimetype;
      } else {
        add(values, part.fieldname, await readPartText(part, limit));
      }
    }
  } catch (error) {
    await documents?.store.discard(result.document);
    throw uploadError(error, maxDocumentSize);
  }
  return result;
}
