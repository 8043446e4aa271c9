// The RFC 8010 codec: every value type round-trips, the attributes are read
// incrementally whatever the chunking, the document after them is left
// unread in the stream, and bad or oversized input is an IppParseError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { attr, encodeMessage, GroupTag, ipp, IppParseError, parseRequest, ValueTag, type IppMessage } from '../../src/ipp/codec.ts';

const MESSAGE: IppMessage = {
  version: { major: 2, minor: 0 },
  code: 0x0002,
  requestId: 42,
  groups: [
    {
      tag: GroupTag.operation,
      attributes: [
        attr('attributes-charset', ipp.charset('utf-8')),
        attr('attributes-natural-language', ipp.language('en')),
        attr('printer-uri', ipp.uri('ipp://127.0.0.1:631/ipp/print/x')),
        attr('job-name', ipp.name('Ünïcode job')),
        attr('ipp-attribute-fidelity', ipp.bool(true)),
      ],
    },
    {
      tag: GroupTag.job,
      attributes: [
        attr('copies', ipp.int(3)),
        attr('orientation-requested', ipp.enum(4)),
        attr('page-ranges', ipp.range(1, 2), ipp.range(5, 9)),
        attr('printer-resolution', ipp.resolution(600, 300)),
        attr('media-col', ipp.collection({ 'media-size': [ipp.collection({ 'x-dimension': [ipp.int(21000)], 'y-dimension': [ipp.int(29700)] })], 'media-source': [ipp.keyword('auto')] })),
        attr('job-hold-until', ipp.noValue()),
        attr('x-octets', ipp.octets(Buffer.from([0, 1, 2]))),
        attr('date-time-at-creation', ipp.date(new Date('2026-01-02T03:04:05.600Z'))),
      ],
    },
  ],
};

function chunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return Readable.from(chunks);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

test('a message round-trips through encode and parse, one byte at a time or all at once', async () => {
  const document = Buffer.from('%PDF-1.7 the document');
  const bytes = Buffer.concat([encodeMessage(MESSAGE), document]);
  for (const size of [1, 7, bytes.length]) {
    const { message, data } = await parseRequest(chunked(bytes, size), 1 << 20);
    assert.deepEqual(message, MESSAGE);
    assert.deepEqual(await readAll(data), document);
  }
});

test('the document after the attributes is not read ahead: parsing ends without consuming the rest of the source', async () => {
  const head = encodeMessage(MESSAGE);
  let pulled = 0;
  const source = Readable.from((async function* () {
    yield head;
    for (let i = 0; i < 1000; i++) {
      pulled++;
      yield Buffer.alloc(64 * 1024);
    }
  })());
  const { data } = await parseRequest(source, 1 << 20);
  assert.ok(pulled <= 1, `read ${pulled} chunks of the document while parsing`);
  assert.equal((await readAll(data)).length, 1000 * 64 * 1024);
});

test('textWithLanguage and nameWithLanguage are read as text and name', async () => {
  const value = Buffer.concat([Buffer.from([0, 2]), Buffer.from('en'), Buffer.from([0, 5]), Buffer.from('hello')]);
  const header = Buffer.from([2, 0, 0, 0x0b, 0, 0, 0, 1, GroupTag.operation]);
  const attribute = Buffer.concat([Buffer.from([ValueTag.textWithLanguage, 0, 1]), Buffer.from('t'), Buffer.from([0, value.length]), value]);
  const { message } = await parseRequest(Readable.from([Buffer.concat([header, attribute, Buffer.from([GroupTag.end])])]), 1024);
  assert.deepEqual(message.groups[0]!.attributes, [attr('t', ipp.text('hello'))]);
});

test('truncated, malformed and oversized attribute sections are IppParseError', async () => {
  const bytes = encodeMessage(MESSAGE);
  const bad: Array<[string, Buffer, number]> = [
    ['truncated', bytes.subarray(0, bytes.length - 3), 1 << 20],
    ['an integer of 3 bytes', Buffer.from([2, 0, 0, 2, 0, 0, 0, 1, 1, ValueTag.integer, 0, 1, 0x61, 0, 3, 0, 0, 1, 3]), 1 << 20],
    ['a value before any group', Buffer.from([2, 0, 0, 2, 0, 0, 0, 1, ValueTag.keyword, 0, 1, 0x61, 0, 0, 3]), 1 << 20],
    ['an additional value first', Buffer.from([2, 0, 0, 2, 0, 0, 0, 1, 1, ValueTag.keyword, 0, 0, 0, 0, 3]), 1 << 20],
    ['a collection without its end', Buffer.from([2, 0, 0, 2, 0, 0, 0, 1, 1, ValueTag.begCollection, 0, 1, 0x61, 0, 0, 3]), 1 << 20],
    ['larger than the limit', bytes, 64],
  ];
  for (const [what, input, limit] of bad) {
    await assert.rejects(parseRequest(Readable.from([input]), limit), IppParseError, what);
  }
});
