// printer-icons [PWG 5100.13 §6.4.4]: the icon print dialogs show for a
// printer, a 128×128 PNG drawn here once (a grey printer with a paper sheet),
// served at ICON_PATH on both listeners.
import { crc32, deflateSync } from 'node:zlib';

export const ICON_PATH = '/ipp/icon.png';
const SIZE = 128;

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** RGBA of the pixel at (x, y): paper on top, the printer's body below, transparent around. */
function pixel(x: number, y: number): [number, number, number, number] {
  if (x >= 36 && x < 92 && y >= 12 && y < 52) return [250, 250, 250, 255];
  if (x >= 12 && x < 116 && y >= 44 && y < 100) return y >= 70 && y < 76 && x >= 28 && x < 100 ? [40, 40, 40, 255] : [110, 116, 124, 255];
  if (x >= 30 && x < 98 && y >= 100 && y < 116) return [250, 250, 250, 255];
  return [0, 0, 0, 0];
}

function drawIcon(): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < SIZE; y++) {
    const row = Buffer.alloc(1 + SIZE * 4); // filter byte 0, then RGBA
    for (let x = 0; x < SIZE; x++) Buffer.from(pixel(x, y)).copy(row, 1 + x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))), chunk('IEND', Buffer.alloc(0))]);
}

export const ICON_PNG = drawIcon();
