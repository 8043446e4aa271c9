// The IPP message encoding [RFC 8010 §3]: a request's header and attribute
// groups are read incrementally from the HTTP body, up to the
// end-of-attributes-tag, and the rest of the body (the document) is handed
// on as a stream, never buffered. Responses are encoded in one buffer (they
// are attributes only).
//
// Why not the `ipp` package the connector uses as a client: its parse() takes
// a whole message in one Buffer, document included, so a 1 GB print job
// would have to sit in memory; and its serializer picks value tags from its
// own attribute dictionary, which cannot say "this value is out-of-band
// no-value" or carry members it does not know.
import { Readable } from 'node:stream';

/** Delimiter tags [RFC 8010 §3.5.1]. */
export const GroupTag = {
  operation: 0x01,
  job: 0x02,
  end: 0x03,
  printer: 0x04,
  unsupported: 0x05,
} as const;

/** Value tags [RFC 8010 §3.5.2]. */
export const ValueTag = {
  unsupported: 0x10,
  unknown: 0x12,
  noValue: 0x13,
  integer: 0x21,
  boolean: 0x22,
  enum: 0x23,
  octetString: 0x30,
  dateTime: 0x31,
  resolution: 0x32,
  rangeOfInteger: 0x33,
  begCollection: 0x34,
  textWithLanguage: 0x35,
  nameWithLanguage: 0x36,
  endCollection: 0x37,
  text: 0x41,
  name: 0x42,
  keyword: 0x44,
  uri: 0x45,
  uriScheme: 0x46,
  charset: 0x47,
  naturalLanguage: 0x48,
  mimeMediaType: 0x49,
  memberAttrName: 0x4a,
} as const;

export interface Resolution {
  x: number;
  y: number;
  /** 3 = dots per inch, 4 = dots per centimetre. */
  units: number;
}

export interface Range {
  lower: number;
  upper: number;
}

export interface Collection {
  [member: string]: IppValue[];
}

export type IppValue =
  | { tag: typeof ValueTag.integer | typeof ValueTag.enum; value: number }
  | { tag: typeof ValueTag.boolean; value: boolean }
  | { tag: typeof ValueTag.resolution; value: Resolution }
  | { tag: typeof ValueTag.rangeOfInteger; value: Range }
  | { tag: typeof ValueTag.dateTime; value: Date }
  | { tag: typeof ValueTag.begCollection; value: Collection }
  | { tag: typeof ValueTag.octetString; value: Buffer }
  | { tag: typeof ValueTag.unsupported | typeof ValueTag.unknown | typeof ValueTag.noValue; value: null }
  /** Text, name, keyword, uri, charset, language and media type values, and the *WithLanguage forms (language dropped). */
  | { tag: number; value: string };

export interface IppAttribute {
  name: string;
  values: IppValue[];
}

export interface IppGroup {
  tag: number;
  attributes: IppAttribute[];
}

export interface IppMessage {
  version: { major: number; minor: number };
  /** operation-id in a request, status-code in a response. */
  code: number;
  requestId: number;
  groups: IppGroup[];
}

export class IppParseError extends Error {}

const TEXT_TAGS = new Set<number>([ValueTag.text, ValueTag.name, ValueTag.keyword, ValueTag.uri, ValueTag.uriScheme, ValueTag.charset, ValueTag.naturalLanguage, ValueTag.mimeMediaType, ValueTag.memberAttrName]);
const OUT_OF_BAND = new Set<number>([ValueTag.unsupported, ValueTag.unknown, ValueTag.noValue, 0x15 /* not-settable */, 0x16 /* delete-attribute */, 0x17 /* admin-define */]);

// ---------------------------------------------------------------- decoding

/** Pulls exact byte counts out of a chunked source, keeping what it read ahead. */
class ByteReader {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  consumed = 0;

  constructor(
    private readonly chunks: AsyncIterator<Buffer>,
    private readonly limit: number,
  ) {}

  async take(length: number): Promise<Buffer> {
    if (this.consumed + length > this.limit) throw new IppParseError(`the attributes are larger than the limit of ${this.limit} bytes`);
    while (this.bufferedBytes < length) {
      const next = await this.chunks.next();
      if (next.done) throw new IppParseError('the message ends inside its attributes');
      this.buffered.push(next.value);
      this.bufferedBytes += next.value.length;
    }
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const taken = all.subarray(0, length);
    const rest = all.subarray(length);
    this.buffered = rest.length ? [rest] : [];
    this.bufferedBytes = rest.length;
    this.consumed += length;
    return taken;
  }

  /** What follows the attributes: the bytes read ahead, then the rest of the source. */
  rest(): Readable {
    const { buffered, chunks } = this;
    this.buffered = [];
    return Readable.from(
      (async function* () {
        yield* buffered;
        for (;;) {
          const next = await chunks.next();
          if (next.done) return;
          yield next.value;
        }
      })(),
      { objectMode: false },
    );
  }
}

interface RawAttribute {
  tag: number;
  name: string;
  value: Buffer;
}

async function readRawAttribute(reader: ByteReader, tag: number): Promise<RawAttribute> {
  if (tag === 0x7f) throw new IppParseError('extended value tags are not supported');
  const nameLength = (await reader.take(2)).readUInt16BE(0);
  const name = (await reader.take(nameLength)).toString('utf8');
  const valueLength = (await reader.take(2)).readUInt16BE(0);
  const value = Buffer.from(await reader.take(valueLength));
  return { tag, name, value };
}

function checkLength(raw: RawAttribute, length: number): void {
  if (raw.value.length !== length) throw new IppParseError(`${raw.name || 'a value'}: a value of tag 0x${raw.tag.toString(16)} must be ${length} bytes`);
}

function decodeDate(buffer: Buffer): Date {
  // RFC 2579 DateAndTime: year(2) month day hour minutes seconds deci-seconds direction(+/-) hours minutes.
  const utc = Date.UTC(buffer.readUInt16BE(0), buffer[2]! - 1, buffer[3]!, buffer[4]!, buffer[5]!, buffer[6]!, buffer[7]! * 100);
  const offset = (buffer[9]! * 60 + buffer[10]!) * 60_000;
  return new Date(String.fromCharCode(buffer[8]!) === '-' ? utc + offset : utc - offset);
}

/** The value of a non-collection attribute, by its tag [RFC 8010 §3.9]. */
function decodeValue(raw: RawAttribute): IppValue {
  const { tag, value } = raw;
  if (OUT_OF_BAND.has(tag)) return { tag: tag as typeof ValueTag.noValue, value: null };
  switch (tag) {
    case ValueTag.integer:
    case ValueTag.enum:
      checkLength(raw, 4);
      return { tag, value: value.readInt32BE(0) };
    case ValueTag.boolean:
      checkLength(raw, 1);
      return { tag, value: value[0] !== 0 };
    case ValueTag.resolution:
      checkLength(raw, 9);
      return { tag, value: { x: value.readInt32BE(0), y: value.readInt32BE(4), units: value[8]! } };
    case ValueTag.rangeOfInteger:
      checkLength(raw, 8);
      return { tag, value: { lower: value.readInt32BE(0), upper: value.readInt32BE(4) } };
    case ValueTag.dateTime:
      checkLength(raw, 11);
      return { tag, value: decodeDate(value) };
    case ValueTag.octetString:
      return { tag, value };
    case ValueTag.textWithLanguage:
    case ValueTag.nameWithLanguage: {
      // language-length, language, text-length, text.
      if (value.length < 4) throw new IppParseError(`${raw.name}: truncated ${tag === ValueTag.textWithLanguage ? 'text' : 'name'}WithLanguage`);
      const languageLength = value.readUInt16BE(0);
      const textLength = value.readUInt16BE(2 + languageLength);
      return { tag: tag === ValueTag.textWithLanguage ? ValueTag.text : ValueTag.name, value: value.subarray(4 + languageLength, 4 + languageLength + textLength).toString('utf8') };
    }
    default:
      if (TEXT_TAGS.has(tag) || (tag >= 0x40 && tag <= 0x5f)) return { tag, value: value.toString('utf8') };
      // Unknown integer-like tags are kept as octets; an operation does not use them.
      return { tag: ValueTag.octetString, value };
  }
}

/** A collection's members, up to its endCollection [RFC 8010 §3.1.6]. */
async function readCollection(reader: ByteReader, depth: number): Promise<Collection> {
  if (depth > 8) throw new IppParseError('collections nested too deep');
  const collection: Collection = {};
  let member: string | undefined;
  for (;;) {
    const tag = (await reader.take(1))[0]!;
    if (tag < 0x10) throw new IppParseError('a collection ends without endCollection');
    const raw = await readRawAttribute(reader, tag);
    if (tag === ValueTag.endCollection) return collection;
    if (tag === ValueTag.memberAttrName) {
      member = raw.value.toString('utf8');
      if (!member) throw new IppParseError('a collection member without a name');
      if (collection[member]) throw new IppParseError(`member ${member} appears twice in a collection`);
      collection[member] = [];
      continue;
    }
    if (member === undefined) throw new IppParseError('a collection value before its memberAttrName');
    const value = tag === ValueTag.begCollection ? { tag, value: await readCollection(reader, depth + 1) } : decodeValue(raw);
    collection[member]!.push(value as IppValue);
  }
}

export interface ParsedRequest {
  message: IppMessage;
  /** The document data after the end-of-attributes-tag, as it arrives. */
  data: Readable;
}

/**
 * Reads a message's header and attribute groups from `source` and returns
 * them with the stream of what follows. At most `maxAttributeBytes` are read
 * for the attributes; a malformed or oversized section throws IppParseError.
 */
export async function parseRequest(source: AsyncIterable<Buffer>, maxAttributeBytes: number): Promise<ParsedRequest> {
  const reader = new ByteReader(source[Symbol.asyncIterator](), maxAttributeBytes);
  const header = await reader.take(8);
  const message: IppMessage = {
    version: { major: header[0]!, minor: header[1]! },
    code: header.readUInt16BE(2),
    requestId: header.readInt32BE(4),
    groups: [],
  };
  let group: IppGroup | undefined;
  let attribute: IppAttribute | undefined;
  for (;;) {
    const tag = (await reader.take(1))[0]!;
    if (tag === GroupTag.end) break;
    if (tag < 0x10) {
      group = { tag, attributes: [] };
      message.groups.push(group);
      attribute = undefined;
      continue;
    }
    if (!group) throw new IppParseError('an attribute before any group tag');
    const raw = await readRawAttribute(reader, tag);
    const value = tag === ValueTag.begCollection ? ({ tag, value: await readCollection(reader, 1) } as IppValue) : decodeValue(raw);
    if (raw.name) {
      attribute = { name: raw.name, values: [value] };
      group.attributes.push(attribute);
    } else {
      // An additional value of the previous attribute [RFC 8010 §3.1.5].
      if (!attribute) throw new IppParseError('an additional value without an attribute');
      attribute.values.push(value);
    }
  }
  return { message, data: reader.rest() };
}

// ---------------------------------------------------------------- encoding

function encodeDate(date: Date): Buffer {
  const buffer = Buffer.alloc(11);
  buffer.writeUInt16BE(date.getUTCFullYear(), 0);
  buffer[2] = date.getUTCMonth() + 1;
  buffer[3] = date.getUTCDate();
  buffer[4] = date.getUTCHours();
  buffer[5] = date.getUTCMinutes();
  buffer[6] = date.getUTCSeconds();
  buffer[7] = Math.floor(date.getUTCMilliseconds() / 100);
  buffer[8] = '+'.charCodeAt(0);
  return buffer;
}

function encodeValueBytes(value: IppValue): Buffer {
  const v = value.value;
  switch (value.tag) {
    case ValueTag.integer:
    case ValueTag.enum: {
      const buffer = Buffer.alloc(4);
      buffer.writeInt32BE(v as number);
      return buffer;
    }
    case ValueTag.boolean:
      return Buffer.from([v ? 1 : 0]);
    case ValueTag.resolution: {
      const r = v as Resolution;
      const buffer = Buffer.alloc(9);
      buffer.writeInt32BE(r.x, 0);
      buffer.writeInt32BE(r.y, 4);
      buffer[8] = r.units;
      return buffer;
    }
    case ValueTag.rangeOfInteger: {
      const r = v as Range;
      const buffer = Buffer.alloc(8);
      buffer.writeInt32BE(r.lower, 0);
      buffer.writeInt32BE(r.upper, 4);
      return buffer;
    }
    case ValueTag.dateTime:
      return encodeDate(v as Date);
    case ValueTag.octetString:
      return v as Buffer;
    default:
      return v === null ? Buffer.alloc(0) : Buffer.from(String(v), 'utf8');
  }
}

function attributeBytes(out: Buffer[], tag: number, name: string, value: Buffer): void {
  const nameBytes = Buffer.from(name, 'utf8');
  if (value.length > 0xffff) throw new Error(`value of ${name} is too long to encode`);
  const head = Buffer.alloc(3 + nameBytes.length + 2);
  head[0] = tag;
  head.writeUInt16BE(nameBytes.length, 1);
  nameBytes.copy(head, 3);
  head.writeUInt16BE(value.length, 3 + nameBytes.length);
  out.push(head, value);
}

function encodeValue(out: Buffer[], name: string, value: IppValue): void {
  if (value.tag !== ValueTag.begCollection) {
    attributeBytes(out, value.tag, name, encodeValueBytes(value));
    return;
  }
  attributeBytes(out, ValueTag.begCollection, name, Buffer.alloc(0));
  for (const [member, values] of Object.entries(value.value as Collection)) {
    attributeBytes(out, ValueTag.memberAttrName, '', Buffer.from(member, 'utf8'));
    for (const memberValue of values) encodeValue(out, '', memberValue);
  }
  attributeBytes(out, ValueTag.endCollection, '', Buffer.alloc(0));
}

export function encodeMessage(message: IppMessage): Buffer {
  const out: Buffer[] = [];
  const header = Buffer.alloc(8);
  header[0] = message.version.major;
  header[1] = message.version.minor;
  header.writeUInt16BE(message.code, 2);
  header.writeInt32BE(message.requestId, 4);
  out.push(header);
  for (const group of message.groups) {
    out.push(Buffer.from([group.tag]));
    for (const attribute of group.attributes) {
      attribute.values.forEach((value, i) => encodeValue(out, i === 0 ? attribute.name : '', value));
    }
  }
  out.push(Buffer.from([GroupTag.end]));
  return Buffer.concat(out);
}

// ---------------------------------------------------------------- building values

export const ipp = {
  int: (value: number): IppValue => ({ tag: ValueTag.integer, value }),
  enum: (value: number): IppValue => ({ tag: ValueTag.enum, value }),
  bool: (value: boolean): IppValue => ({ tag: ValueTag.boolean, value }),
  keyword: (value: string): IppValue => ({ tag: ValueTag.keyword, value }),
  text: (value: string): IppValue => ({ tag: ValueTag.text, value }),
  name: (value: string): IppValue => ({ tag: ValueTag.name, value }),
  uri: (value: string): IppValue => ({ tag: ValueTag.uri, value }),
  uriScheme: (value: string): IppValue => ({ tag: ValueTag.uriScheme, value }),
  charset: (value: string): IppValue => ({ tag: ValueTag.charset, value }),
  language: (value: string): IppValue => ({ tag: ValueTag.naturalLanguage, value }),
  mime: (value: string): IppValue => ({ tag: ValueTag.mimeMediaType, value }),
  octets: (value: Buffer): IppValue => ({ tag: ValueTag.octetString, value }),
  date: (value: Date): IppValue => ({ tag: ValueTag.dateTime, value }),
  range: (lower: number, upper: number): IppValue => ({ tag: ValueTag.rangeOfInteger, value: { lower, upper } }),
  resolution: (x: number, y: number, units = 3): IppValue => ({ tag: ValueTag.resolution, value: { x, y, units } }),
  collection: (value: Collection): IppValue => ({ tag: ValueTag.begCollection, value }),
  noValue: (): IppValue => ({ tag: ValueTag.noValue, value: null }),
  unknown: (): IppValue => ({ tag: ValueTag.unknown, value: null }),
  unsupported: (): IppValue => ({ tag: ValueTag.unsupported, value: null }),
};

/** An attribute with one or several values. */
export function attr(name: string, ...values: IppValue[]): IppAttribute {
  return { name, values };
}
