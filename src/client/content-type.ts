// The content type of a document to print, from its file name.
import { extname } from 'node:path';

const BY_EXTENSION: Record<string, string> = {
  '.pdf': 'application/pdf',
  '.pwg': 'image/pwg-raster',
  '.ps': 'application/postscript',
  '.txt': 'text/plain',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

export function contentTypeOf(file: string): string {
  return BY_EXTENSION[extname(file).toLowerCase()] ?? 'application/octet-stream';
}
