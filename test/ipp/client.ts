// A small IPP client for the tests, over fetch: builds requests with the
// codec under test and reads responses with it.
import { Readable } from 'node:stream';
import { attr, encodeMessage, GroupTag, ipp, parseRequest, type IppAttribute, type IppGroup, type IppMessage, type IppValue } from '../../src/ipp/codec.ts';

export interface IppReply {
  http: number;
  headers: Headers;
  message?: IppMessage;
  /** Attribute values by group tag and name (first group of each tag). */
  status?: number;
  operation: Map<string, IppValue[]>;
  printer: Map<string, IppValue[]>;
  jobs: Array<Map<string, IppValue[]>>;
  unsupported: Map<string, IppValue[]>;
}

export interface IppCall {
  url: string;
  operation: number;
  /** Operation attributes after charset, language and printer-uri. */
  attributes?: IppAttribute[];
  job?: IppAttribute[];
  document?: Buffer;
  auth?: { username: string; password: string } | null;
  requestId?: number;
}

function byName(attributes: IppAttribute[] | undefined): Map<string, IppValue[]> {
  return new Map((attributes ?? []).map((a) => [a.name, a.values]));
}

export async function ippCall(call: IppCall): Promise<IppReply> {
  const printerUri = call.url.replace(/^http/, 'ipp');
  const groups: IppGroup[] = [{ tag: GroupTag.operation, attributes: [attr('attributes-charset', ipp.charset('utf-8')), attr('attributes-natural-language', ipp.language('en')), attr('printer-uri', ipp.uri(printerUri)), ...(call.attributes ?? [])] }];
  if (call.job) groups.push({ tag: GroupTag.job, attributes: call.job });
  const body = Buffer.concat([encodeMessage({ version: { major: 2, minor: 0 }, code: call.operation, requestId: call.requestId ?? 1, groups }), call.document ?? Buffer.alloc(0)]);
  const headers: Record<string, string> = { 'content-type': 'application/ipp' };
  if (call.auth) headers.authorization = `Basic ${Buffer.from(`${call.auth.username}:${call.auth.password}`).toString('base64')}`;
  const response = await fetch(call.url, { method: 'POST', headers, body: new Uint8Array(body) });
  const bytes = Buffer.from(await response.arrayBuffer());
  const reply: IppReply = { http: response.status, headers: response.headers, operation: new Map(), printer: new Map(), jobs: [], unsupported: new Map() };
  if (response.headers.get('content-type') !== 'application/ipp') return reply;
  const { message } = await parseRequest(Readable.from([bytes]), 16 << 20);
  reply.message = message;
  reply.status = message.code;
  reply.operation = byName(message.groups.find((g) => g.tag === GroupTag.operation)?.attributes);
  reply.printer = byName(message.groups.find((g) => g.tag === GroupTag.printer)?.attributes);
  reply.unsupported = byName(message.groups.find((g) => g.tag === GroupTag.unsupported)?.attributes);
  reply.jobs = message.groups.filter((g) => g.tag === GroupTag.job).map((g) => byName(g.attributes));
  return reply;
}

/** The plain values of an attribute (numbers, strings, booleans). */
export function values(map: Map<string, IppValue[]>, name: string): unknown[] {
  return (map.get(name) ?? []).map((v) => v.value);
}

export const Op = {
  printJob: 0x0002,
  validateJob: 0x0004,
  createJob: 0x0005,
  sendDocument: 0x0006,
  cancelJob: 0x0008,
  getJobAttributes: 0x0009,
  getJobs: 0x000a,
  getPrinterAttributes: 0x000b,
  cancelMyJobs: 0x0039,
  closeJob: 0x003b,
  identifyPrinter: 0x003c,
} as const;
