// Checks that a submitted document is what its Content-Type says (Privet §5.2
// invalid_document), while it streams past: PDF by its file structure
// (header, startxref → xref table or stream, trailer, %%EOF), PWG raster
// (PWG 5102.4) by decoding every page header and the compressed line data.
import { open } from 'node:fs/promises';

export class InvalidDocument extends Error {}

export interface DocumentInspector {
  /** Pages seen so far. */
  readonly pages: number;
  update(chunk: Buffer): void;
  /** Throws InvalidDocument; `file` is the complete document on disk. */
  finish(file: string, size: number): Promise<void>;
}

const PDF_HEAD = 1024;
const PDF_TAIL = 2048;

const PAGE = Buffer.from('/Page');
const PAGE_TYPE = /\/Type\s*$/;
const CARRY = 32;
const LOOK_BEHIND = 12;

/**
 * Counts page objects ("/Type /Page", not "/Pages") whose "/Page" starts in
 * [from, to); a match whose following byte is not in `buffer` yet is left
 * for the next chunk.
 */
function countPages(buffer: Buffer, from: number, to = buffer.length): number {
  let count = 0;
  for (let at = buffer.indexOf(PAGE, from); at >= 0 && at < to; at = buffer.indexOf(PAGE, at + PAGE.length)) {
    const next = buffer[at + PAGE.length];
    if (next === undefined) break;
    if (/[A-Za-z0-9]/.test(String.fromCharCode(next))) continue;
    if (PAGE_TYPE.test(buffer.toString('latin1', Math.max(0, at - LOOK_BEHIND), at))) count++;
  }
  return count;
}

class PdfInspector implements DocumentInspector {
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);
  pages = 0;

  update(chunk: Buffer): void {
    // Matches near the chunk's start need the previous chunk's last bytes (the
    // look-behind, or a match cut at its end): they are counted in a small seam
    // buffer, the rest in place, without copying the chunk.
    const carry = this.tail.subarray(-CARRY);
    const seam = Buffer.concat([carry, chunk.subarray(0, LOOK_BEHIND + CARRY)]);
    this.pages += countPages(seam, Math.max(0, carry.length - PAGE.length), carry.length + LOOK_BEHIND) + countPages(chunk, LOOK_BEHIND);
    if (this.head.length < PDF_HEAD) this.head = Buffer.concat([this.head, chunk.subarray(0, PDF_HEAD - this.head.length)]);
    this.tail = chunk.length >= PDF_TAIL ? chunk.subarray(chunk.length - PDF_TAIL) : Buffer.concat([this.tail, chunk]).subarray(-PDF_TAIL);
    if (this.tail.buffer === chunk.buffer) this.tail = Buffer.from(this.tail); // do not pin the stream's chunk
  }

  async finish(file: string, size: number): Promise<void> {
    if (!/^%PDF-\d\.\d/.test(this.head.toString('latin1'))) throw new InvalidDocument('not a PDF: the %PDF- header is missing');
    const tail = this.tail.toString('latin1');
    const match = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
    if (!match) throw new InvalidDocument('PDF is truncated: no startxref/%%EOF at the end');
    const offset = Number(match[1]);
    if (offset >= size) throw new InvalidDocument('PDF startxref points past the end of the file');
    const handle = await open(file, 'r');
    try {
      const length = Math.min(size - offset, 1 << 20);
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(length), 0, length, offset);
      const section = buffer.subarray(0, bytesRead).toString('latin1');
      if (/^\s*xref\b/.test(section)) {
        if (!section.includes('trailer') && !tail.includes('trailer')) throw new InvalidDocument('PDF xref table has no trailer');
      } else if (!/^\s*\d+\s+\d+\s+obj\b[\s\S]*\/Type\s*\/XRef/.test(section.slice(0, 4096))) {
        throw new InvalidDocument('PDF startxref does not point at a cross-reference table or stream');
      }
    } finally {
      await handle.close();
    }
  }
}

const PWG_SYNC = 'RaS2';
const PWG_HEADER = 1796;

type PwgStep = 'sync' | 'header' | 'repeat' | 'op' | 'skip';

/** PWG 5102.4 §4: sync word, then per page a 1796-byte header and PackBits-style lines. */
class PwgInspector implements DocumentInspector {
  private step: PwgStep = 'sync';
  private buffer = Buffer.alloc(PWG_HEADER);
  private filled = 0;
  pages = 0;
  private width = 0;
  private bytesPerPixel = 0;
  private linesLeft = 0;
  private groupLines = 0;
  private pixelsLeft = 0;
  private skipBytes = 0;

  update(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.step) {
        case 'sync':
        case 'header': {
          const want = this.step === 'sync' ? 4 : PWG_HEADER;
          const n = Math.min(want - this.filled, chunk.length - i);
          chunk.copy(this.buffer, this.filled, i, i + n);
          this.filled += n;
          i += n;
          if (this.filled === want) {
            this.filled = 0;
            if (this.step === 'sync') {
              if (this.buffer.toString('latin1', 0, 4) !== PWG_SYNC) throw new InvalidDocument('not a PWG raster: the RaS2 sync word is missing');
              this.step = 'header';
            } else this.startPage();
          }
          break;
        }
        case 'repeat':
          // Line repeat count: the following line is used (n+1) times.
          this.groupLines = chunk[i++]! + 1;
          if (this.groupLines > this.linesLeft) throw new InvalidDocument(`PWG raster page ${this.pages}: more lines than the header's height`);
          this.pixelsLeft = this.width;
          this.step = 'op';
          break;
        case 'op': {
          const op = chunk[i++]!;
          if (op === 128) this.pixelsLeft = 0; // fill to end of line
          else {
            const pixels = op < 128 ? op + 1 : 257 - op;
            if (pixels > this.pixelsLeft) throw new InvalidDocument(`PWG raster page ${this.pages}: a run overflows the line`);
            this.pixelsLeft -= pixels;
            this.skipBytes = (op < 128 ? 1 : pixels) * this.bytesPerPixel;
            this.step = 'skip';
          }
          if (this.pixelsLeft === 0 && this.step === 'op') this.endLine();
          break;
        }
        case 'skip': {
          const n = Math.min(this.skipBytes, chunk.length - i);
          this.skipBytes -= n;
          i += n;
          if (this.skipBytes === 0) {
            if (this.pixelsLeft === 0) this.endLine();
            else this.step = 'op';
          }
          break;
        }
      }
    }
  }

  private startPage(): void {
    const h = this.buffer;
    if (h.toString('latin1', 0, 10) !== 'PwgRaster\0') throw new InvalidDocument(`PWG raster page ${this.pages + 1}: bad page header`);
    const width = h.readUInt32BE(372);
    const height = h.readUInt32BE(376);
    const bitsPerPixel = h.readUInt32BE(388);
    const bytesPerLine = h.readUInt32BE(392);
    if (!width || !height || ![1, 2, 4, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120].includes(bitsPerPixel) || bytesPerLine !== Math.ceil((width * bitsPerPixel) / 8)) {
      throw new InvalidDocument(`PWG raster page ${this.pages + 1}: inconsistent width/height/bits per pixel/bytes per line`);
    }
    this.pages++;
    this.width = bitsPerPixel < 8 ? bytesPerLine : width; // sub-byte pixels are compressed as bytes
    this.bytesPerPixel = Math.max(1, bitsPerPixel / 8);
    this.linesLeft = height;
    this.step = 'repeat';
  }

  private endLine(): void {
    this.linesLeft -= this.groupLines;
    this.step = this.linesLeft > 0 ? 'repeat' : 'header';
  }

  async finish(): Promise<void> {
    if (this.pages === 0) throw new InvalidDocument('PWG raster has no pages');
    if (this.step !== 'header' || this.filled !== 0) throw new InvalidDocument(`PWG raster is truncated in page ${this.pages}`);
  }
}

/** The inspector for a content type, or undefined when the printer cannot print it natively. */
export function inspectorFor(contentType: string): DocumentInspector | undefined {
  switch (contentType) {
    case 'application/pdf':
      return new PdfInspector();
    case 'image/pwg-raster':
      return new PwgInspector();
    default:
      return undefined;
  }
}
