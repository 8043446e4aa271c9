// Unit-level rules: the streaming document checks (Privet §5.2
// invalid_document) fed in awkward chunks. The X-Privet-Token rules are in
// xsrf.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectorFor, InvalidDocument } from '../../src/privet/validate.ts';
import { makePdf, makePwg } from './helpers.ts';

async function inspect(type: string, document: Buffer, chunkSize: number) {
  const inspector = inspectorFor(type)!;
  for (let at = 0; at < document.length; at += chunkSize) inspector.update(document.subarray(at, at + chunkSize));
  const dir = mkdtempSync(join(tmpdir(), 'ocp-validate-'));
  try {
    writeFileSync(join(dir, 'doc'), document);
    await inspector.finish(join(dir, 'doc'), document.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return inspector.pages;
}

test('PDF: structure checked and pages counted whatever the chunking', async () => {
  const pdf = makePdf(7);
  for (const size of [1, 5, 7, 13, 64, 1 << 20]) assert.equal(await inspect('application/pdf', pdf, size), 7, `chunks of ${size}`);
  await assert.rejects(inspect('application/pdf', pdf.subarray(0, pdf.length - 7), 64), InvalidDocument);
  const wrongXref = Buffer.from(pdf.toString('latin1').replace(/startxref\n\d+/, 'startxref\n12'), 'latin1');
  await assert.rejects(inspect('application/pdf', wrongXref, 64), InvalidDocument);
});

test('PWG raster from Ghostscript: every page decoded whatever the chunking; damage detected', async () => {
  const pwg = makePwg(makePdf(3));
  for (const size of [1, 3, 1000, 1 << 20]) assert.equal(await inspect('image/pwg-raster', pwg, size), 3, `chunks of ${size}`);
  await assert.rejects(inspect('image/pwg-raster', pwg.subarray(0, 1000), 64), InvalidDocument);
  const extra = Buffer.concat([pwg, Buffer.from([0, 0, 0])]);
  await assert.rejects(inspect('image/pwg-raster', extra, 64), InvalidDocument);
  const badWidth = Buffer.from(pwg);
  badWidth.writeUInt32BE(0, 4 + 372);
  await assert.rejects(inspect('image/pwg-raster', badWidth, 64), InvalidDocument);
});
