// The mappings between the cloud's documents and IPP: PWG media names from
// CDD sizes, job template attributes to a CJT, cloud job states to IPP
// job-state, the CDS to printer-state-reasons, and job-ids from cloud ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attr, ipp } from '../../src/ipp/codec.ts';
import { capabilitiesOf } from '../../src/ipp/capabilities.ts';
import { cloudIdPrefixes, ippJobId, ippJobState } from '../../src/ipp/job-attributes.ts';
import { findMedia, mediaOf, pwgMediaName } from '../../src/ipp/media.ts';
import { documentFormats, printerStatus } from '../../src/ipp/printer-attributes.ts';
import { ticketFrom } from '../../src/ipp/ticket.ts';

const CDD = {
  supported_content_type: [{ content_type: 'application/pdf' }, { content_type: 'image/pwg-raster' }],
  color: { option: [{ type: 'STANDARD_MONOCHROME', is_default: true }, { type: 'STANDARD_COLOR', vendor_id: 'rgb' }] },
  duplex: { option: [{ type: 'NO_DUPLEX', is_default: true }, { type: 'LONG_EDGE' }] },
  copies: { default: 1, max: 10 },
  page_orientation: { option: [{ type: 'PORTRAIT' }, { type: 'LANDSCAPE' }] },
  dpi: { option: [{ horizontal_dpi: 300, vertical_dpi: 300, is_default: true }, { horizontal_dpi: 600, vertical_dpi: 600 }, { horizontal_dpi: 150, vertical_dpi: 150 }] },
  page_range: {},
  media_size: {
    option: [
      { name: 'ISO_A4', width_microns: 210000, height_microns: 297000, is_default: true, vendor_id: 'A4' },
      { name: 'NA_LETTER', width_microns: 215900, height_microns: 279400 },
      { name: 'NA_INDEX_4X6', width_microns: 101600, height_microns: 152400 },
      { name: 'CUSTOM', width_microns: 100000, height_microns: 150000, vendor_id: 'Photo 10x15' },
    ],
  },
};

test('CDD media sizes get PWG 5101.1 self-describing names, inch classes in inches', () => {
  assert.deepEqual(mediaOf(CDD).map((m) => m.name), ['iso_a4_210x297mm', 'na_letter_8.5x11in', 'na_index-4x6_4x6in', 'custom_photo-10x15_100x150mm']);
  assert.equal(pwgMediaName({ name: 'JIS_B5', width_microns: 182000, height_microns: 257000 }), 'jis_b5_182x257mm');
  assert.equal(pwgMediaName({ name: 'ISO_A4' }), undefined, 'no size, no name');
  // A name from another catalogue is matched by the size it states.
  assert.equal(findMedia(mediaOf(CDD), { name: 'na_letter-other_8.5x11in' })?.name, 'na_letter_8.5x11in');
});

test('job template attributes become a CJT that names the CDD\'s own options', () => {
  const caps = capabilitiesOf(CDD);
  const { ticket, unsupported } = ticketFrom([
    attr('copies', ipp.int(2)),
    attr('sides', ipp.keyword('two-sided-long-edge')),
    attr('print-color-mode', ipp.keyword('color')),
    attr('media-col', ipp.collection({ 'media-size': [ipp.collection({ 'x-dimension': [ipp.int(21000)], 'y-dimension': [ipp.int(29700)] })] })),
    attr('orientation-requested', ipp.enum(4)),
    attr('page-ranges', ipp.range(1, 3), ipp.range(7, 7)),
    attr('print-quality', ipp.enum(5)),
    attr('finishings', ipp.enum(3)),
  ], caps);
  assert.deepEqual(unsupported, []);
  assert.deepEqual(ticket.print, {
    copies: { copies: 2 },
    duplex: { type: 'LONG_EDGE' },
    color: { type: 'STANDARD_COLOR', vendor_id: 'rgb' },
    media_size: { width_microns: 210000, height_microns: 297000, vendor_id: 'A4', name: 'ISO_A4' },
    page_orientation: { type: 'LANDSCAPE' },
    page_range: { interval: [{ start: 1, end: 3 }, { start: 7, end: 7 }] },
    dpi: { horizontal_dpi: 600, vertical_dpi: 600 },
  });
});

test('values the CDD does not offer are unsupported, by name and value', () => {
  const { ticket, unsupported } = ticketFrom([
    attr('copies', ipp.int(11)),
    attr('sides', ipp.keyword('two-sided-short-edge')),
    attr('media', ipp.keyword('iso_a3_297x420mm')),
    attr('page-ranges', ipp.range(5, 2)),
    attr('finishings', ipp.enum(4)),
    attr('printer-resolution', ipp.resolution(1200, 1200)),
    attr('x-vendor', ipp.keyword('y')),
  ], capabilitiesOf(CDD));
  assert.deepEqual(unsupported.map((a) => a.name), ['copies', 'sides', 'media', 'page-ranges', 'finishings', 'printer-resolution', 'x-vendor']);
  assert.deepEqual(ticket.print, {});
});

test('a CDD without color, duplex or copies offers monochrome, one-sided and one copy', () => {
  const caps = capabilitiesOf({ media_size: CDD.media_size });
  assert.deepEqual([caps.colorModes, caps.sides, caps.maxCopies], [['monochrome'], ['one-sided'], 1]);
  assert.deepEqual(ticketFrom([attr('print-color-mode', ipp.keyword('monochrome'))], caps), { ticket: { version: '1.0', print: {} }, unsupported: [] });
});

test('document formats: the CDD\'s, plus JPEG and PostScript where PDF is taken, URF only when listed', () => {
  assert.deepEqual(documentFormats(capabilitiesOf(CDD)), ['application/octet-stream', 'application/pdf', 'image/pwg-raster', 'image/jpeg', 'application/postscript']);
  assert.deepEqual(documentFormats(capabilitiesOf({ supported_content_type: [{ content_type: 'image/pwg-raster' }] })), ['application/octet-stream', 'image/pwg-raster']);
  assert.ok(documentFormats(capabilitiesOf({ supported_content_type: [{ content_type: 'image/urf' }, { content_type: 'application/pdf' }] })).includes('image/urf'));
});

test('cloud job states map to IPP job-state and reasons', () => {
  assert.deepEqual(ippJobState({ type: 'QUEUED' }).state, 3);
  assert.deepEqual(ippJobState({ type: 'HELD' }).state, 4);
  assert.deepEqual(ippJobState({ type: 'IN_PROGRESS' }).state, 5);
  assert.deepEqual(ippJobState({ type: 'STOPPED', device_state_cause: { error_code: 'INPUT_TRAY' } }), { state: 6, reasons: ['printer-stopped', 'resources-are-not-ready'], message: 'Stopped (input tray)' });
  assert.deepEqual(ippJobState({ type: 'DONE' }).state, 9);
  assert.deepEqual(ippJobState({ type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } }).reasons, ['job-canceled-by-user']);
  assert.deepEqual(ippJobState({ type: 'ABORTED', service_action_cause: { error_code: 'CONVERSION_ERROR' } }), { state: 8, reasons: ['document-unprintable-error'], message: 'Aborted (conversion error)' });
});

test('the CDS becomes printer-state and printer-state-reasons; a disconnected device is offline-report', () => {
  const paperOut = { state: 'STOPPED', input_tray_state: { item: [{ state: 'EMPTY' }] }, vendor_state: { item: [{ state: 'ERROR', description: 'Out of paper' }] } };
  assert.deepEqual(printerStatus(paperOut, true), { state: 5, reasons: ['media-empty-error'], message: 'Out of paper' });
  const everything = { state: 'STOPPED', marker_state: { item: [{ state: 'EXHAUSTED' }] }, cover_state: { item: [{ state: 'OPEN' }] }, media_path_state: { item: [{ state: 'MEDIA_JAM' }] } };
  assert.deepEqual(printerStatus(everything, true).reasons, ['toner-empty-error', 'cover-open-error', 'media-jam-error']);
  assert.deepEqual(printerStatus({ state: 'IDLE', marker_state: { item: [{ state: 'OK', level_percent: 5 }] } }, true), { state: 3, reasons: ['toner-low-report'], message: 'Ready' });
  assert.deepEqual(printerStatus({ state: 'IDLE' }, false).reasons, ['offline-report', 'shutdown-report']);
  assert.equal(printerStatus({ state: 'IDLE' }, false).state, 5);
  assert.deepEqual(printerStatus({ state: 'PROCESSING' }, undefined), { state: 4, reasons: ['none'], message: 'Printing' });
});

test('IPP job-ids come from the cloud job id and lead back to it', () => {
  for (const id of ['0000abcd-0000-4000-8000-000000000000', 'ffffffff-0000-4000-8000-000000000000', '80000000-1111-4111-8111-111111111111', crypto.randomUUID()]) {
    const jobId = ippJobId(id);
    assert.ok(jobId >= 1 && jobId <= 0x7fffffff, id);
    assert.ok(cloudIdPrefixes(jobId).includes(id.slice(0, 8)), id);
  }
});
