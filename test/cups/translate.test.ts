import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capabilitiesOf, cloudJobStateOf, jobAttributesOf, semanticStateOf } from '../../src/cups/translate.ts';

test('IPP printer attributes become a CDD with the connector\'s content types, duplex, colour and PWG media', () => {
  const cdd = capabilitiesOf({
    'document-format-supported': ['application/octet-stream', 'application/pdf', 'text/plain', 'image/png'],
    'copies-supported': [1, 99],
    'sides-supported': ['one-sided', 'two-sided-long-edge'],
    'sides-default': 'one-sided',
    'print-color-mode-supported': ['monochrome', 'color'],
    'print-color-mode-default': 'color',
    'media-supported': ['iso_a4_210x297mm', 'na_letter_8.5x11in', 'custom_min_1x1in'],
    'media-default': 'na_letter_8.5x11in',
  }) as { printer: Record<string, any> };
  assert.deepEqual(cdd.printer.supported_content_type.map((t: { content_type: string }) => t.content_type), ['application/pdf', 'image/png', 'text/plain']);
  assert.deepEqual(cdd.printer.copies, { default: 1, max: 99 });
  assert.deepEqual(cdd.printer.duplex.option, [{ type: 'NO_DUPLEX', is_default: true }, { type: 'LONG_EDGE' }]);
  assert.deepEqual(cdd.printer.color.option[1], { type: 'STANDARD_COLOR', vendor_id: 'color', is_default: true });
  assert.deepEqual(cdd.printer.media_size.option, [
    { name: 'ISO_A4', width_microns: 210000, height_microns: 297000, vendor_id: 'iso_a4_210x297mm' },
    { name: 'NA_LETTER', width_microns: 215900, height_microns: 279400, vendor_id: 'na_letter_8.5x11in', is_default: true },
  ]);
});

test('printer-state and reasons become CDS; an offline report stops the printer', () => {
  assert.deepEqual(semanticStateOf({ 'printer-state': 'idle', 'printer-state-reasons': 'none' }), { version: '1.0', printer: { state: 'IDLE' } });
  const offline = semanticStateOf({ 'printer-state': 3, 'printer-state-reasons': ['offline-report', 'toner-low-warning', 'media-jam-error'] }) as { printer: Record<string, any> };
  assert.equal(offline.printer.state, 'STOPPED');
  assert.deepEqual(offline.printer.vendor_state.item.map((i: { state: string }) => i.state), ['INFO', 'WARNING', 'ERROR']);
});

test('a CJT ticket becomes IPP job attributes, vendor ids first', () => {
  assert.deepEqual(
    jobAttributesOf({ version: '1.0', print: { copies: { copies: 3 }, duplex: { type: 'LONG_EDGE' }, color: { type: 'STANDARD_MONOCHROME' }, media_size: { vendor_id: 'iso_a4_210x297mm' }, page_orientation: { type: 'LANDSCAPE' } } }),
    { copies: 3, sides: 'two-sided-long-edge', 'print-color-mode': 'monochrome', media: 'iso_a4_210x297mm', 'orientation-requested': 4 },
  );
  assert.deepEqual(jobAttributesOf({ version: '1.0', print: { color: { type: 'STANDARD_COLOR', vendor_id: 'auto' } } }), { 'print-color-mode': 'auto' });
  assert.deepEqual(jobAttributesOf(undefined), {});
});

test('IPP job states map to cloud job states as the original connector did', () => {
  assert.deepEqual([3, 4, 5].map(cloudJobStateOf), Array(3).fill({ type: 'IN_PROGRESS' }));
  assert.deepEqual(cloudJobStateOf(6), { type: 'STOPPED', device_action_cause: { error_code: 'OTHER' } });
  assert.deepEqual(cloudJobStateOf(7), { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } });
  assert.deepEqual(cloudJobStateOf(8), { type: 'ABORTED', device_action_cause: { error_code: 'PRINT_FAILURE' } });
  assert.deepEqual(cloudJobStateOf(9), { type: 'DONE' });
});
