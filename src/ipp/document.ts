// The document data of Print-Job and Send-Document: decompressed as the
// `compression` operation attribute says [RFC 8011 §5.4.32: deflate is RFC
// 1951, gzip RFC 1952], and its format detected from its first bytes when
// the client sent application/octet-stream [RFC 8011 §5.4.21].
import { Readable } from 'node:stream';
import { createGunzip, createInflateRaw } from 'node:zlib';

export const COMPRESSIONS = ['none', 'deflate', 'gzip'];

export function decompressed(data: Readable, compression: string): Readable {
  if (compression === 'none') return data;
  const inflate = compression === 'gzip' ? createGunzip() : createInflateRaw();
  data.on('error', (error) => inflate.destroy(error));
  return data.pipe(inflate);
}

/** Magic numbers of the formats a printer may be sent. */
const SIGNATURES: Array<[string, (head: Buffer) => boolean]> = [
  ['application/pdf', (h) => h.subarray(0, 5).toString('latin1') === '%PDF-'],
  ['image/pwg-raster', (h) => h.subarray(0, 4).toString('latin1') === 'RaS2'],
  ['image/urf', (h) => h.subarray(0, 8).toString('latin1') === 'UNIRAST\0'],
  ['image/jpeg', (h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff],
  ['application/postscript', (h) => h.subarray(0, 2).toString('latin1') === '%!'],
];

const SNIFF_BYTES = 8;

/**
 * The format of `data` by its first bytes (undefined when unknown), and a
 * stream that yields the whole of it again.
 */
export async function sniffFormat(data: Readable): Promise<{ format: string | undefined; data: Readable }> {
  const iterator = data[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    length += next.value.length;
  }
  const bytes = Buffer.concat(head);
  const format = SIGNATURES.find(([, matches]) => matches(bytes))?.[0];
  const replay = Readable.from(
    (async function* () {
      yield* head;
      if (done) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    })(),
    { objectMode: false },
  );
  return { format, data: replay };
}
