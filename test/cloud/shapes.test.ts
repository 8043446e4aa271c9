// CDD / CDS / CJT / PrintJobState shapes, ticket-fits-CDD and the job state
// machine, rule by rule (GCP §d, §f).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CloudError } from '../../src/cloud/errors.ts';
import { checkTransition, legacyStatus, stateFromLegacy } from '../../src/cloud/job-states.ts';
import { acceptsContentType, checkTicketFits, validateCdd, validateCds, validatePrintJobState, validateStateDiff, validateTicket } from '../../src/cloud/shapes.ts';
import { SAMPLE_CDD } from '../helpers/cloud.ts';

function fails(kind: string, message: RegExp, run: () => unknown) {
  assert.throws(run, (error: unknown) => error instanceof CloudError && error.kind === kind && message.test(error.message));
}

const ticket = (print: Record<string, unknown>) => validateTicket({ version: '1.0', print });
const cdd = (printer: Record<string, unknown>) => validateCdd({ version: '1.0', printer });

describe('CDD', () => {
  test('the sample and unknown keys are accepted; a printer section is required', () => {
    validateCdd(SAMPLE_CDD);
    validateCdd({ version: '1.0', printer: { some_future_capability: { x: 1 } } });
    fails('INVALID_CAPABILITIES', /capabilities\.printer must be an object/, () => validateCdd({ version: '1.0' }));
    fails('INVALID_CAPABILITIES', /capabilities must be an object/, () => validateCdd([]));
  });
  test('option enums, dpi numbers and vendor capability types are checked', () => {
    fails('INVALID_CAPABILITIES', /color\.option\[0\]\.type must be one of/, () => cdd({ color: { option: [{ type: 'RAINBOW' }] } }));
    fails('INVALID_CAPABILITIES', /dpi\.option\[0\]\.vertical_dpi must be a whole number/, () => cdd({ dpi: { option: [{ horizontal_dpi: 300, vertical_dpi: 'x' }] } }));
    fails('INVALID_CAPABILITIES', /vendor_capability\[0\]\.type must be one of RANGE, SELECT, TYPED_VALUE/, () => cdd({ vendor_capability: [{ id: 'a', type: 'LIST' }] }));
    fails('INVALID_CAPABILITIES', /media_size\.option must be an array/, () => cdd({ media_size: { option: {} } }));
  });
  test('int64 fields are accepted with or without quotes (GCP §f)', () => {
    cdd({ media_size: { option: [{ width_microns: '210000', height_microns: 297000 }] } });
  });
});

describe('CDS', () => {
  test('an empty version is accepted (the Go connector never sets it); states are checked', () => {
    validateCds({ version: '', printer: { state: 'IDLE' } });
    validateCds({ version: '1.0', cloud_connection_state: 'ONLINE', printer: { state: 'STOPPED', vendor_state: { item: [] } } });
    fails('INVALID_STATE', /semantic_state\.printer\.state must be one of IDLE, PROCESSING, STOPPED/, () => validateCds({ version: '', printer: { state: 'ASLEEP' } }));
    fails('INVALID_STATE', /cloud_connection_state/, () => validateCds({ cloud_connection_state: 'MAYBE' }));
  });
});

describe('CJT', () => {
  test('color needs only type or vendor_id (LC issue 126)', () => {
    ticket({ color: { vendor_id: 'Gray' } });
    ticket({ color: { type: 'STANDARD_COLOR' } });
    fails('INVALID_TICKET', /color needs type or vendor_id/, () => ticket({ color: {} }));
  });
  test('copies, page ranges, booleans and vendor items are checked', () => {
    fails('INVALID_TICKET', /copies\.copies must be a whole number ≥ 1/, () => ticket({ copies: { copies: 0 } }));
    fails('INVALID_TICKET', /interval\[0\] ends before it starts/, () => ticket({ page_range: { interval: [{ start: 5, end: 2 }] } }));
    fails('INVALID_TICKET', /collate\.collate must be true or false/, () => ticket({ collate: { collate: 'yes' } }));
    fails('INVALID_TICKET', /vendor_ticket_item\[0\]\.value must be a string/, () => ticket({ vendor_ticket_item: [{ id: 'a', value: 1 }] }));
    ticket({ page_range: { interval: [{ start: 1 }, { start: 3, end: 4 }] }, reverse_order: { reverse_order: true } });
  });
});

describe('ticket fits CDD', () => {
  const caps = validateCdd({
    version: '1.0',
    printer: {
      ...SAMPLE_CDD.printer,
      color: { option: [{ type: 'STANDARD_MONOCHROME', vendor_id: 'Gray' }, { type: 'STANDARD_COLOR', vendor_id: 'RGB' }] },
      dpi: { option: [{ horizontal_dpi: 300, vertical_dpi: 300 }, { horizontal_dpi: 600, vertical_dpi: 600 }] },
      page_orientation: { option: [{ type: 'PORTRAIT' }, { type: 'LANDSCAPE' }] },
      vendor_capability: [{ id: 'finisher', type: 'SELECT' }],
    },
  });
  const fits = (print: Record<string, unknown>) => checkTicketFits(ticket(print), caps);
  test('offered options fit', () => {
    fits({ duplex: { type: 'LONG_EDGE' }, color: { vendor_id: 'RGB' }, dpi: { horizontal_dpi: 600, vertical_dpi: 600 }, copies: { copies: 99 } });
    fits({ media_size: { vendor_id: 'Letter' } });
    fits({ media_size: { width_microns: 210500, height_microns: 296800 } }); // within 1 mm of A4
    fits({ vendor_ticket_item: [{ id: 'finisher', value: 'staple' }], page_orientation: { type: 'LANDSCAPE' } });
  });
  test('anything not offered is refused, naming what', () => {
    fails('TICKET_NOT_SUPPORTED', /color STANDARD_COLOR/, () => fits({ color: { type: 'STANDARD_COLOR', vendor_id: 'Gray' } }));
    fails('TICKET_NOT_SUPPORTED', /resolution of 1200x1200/, () => fits({ dpi: { horizontal_dpi: 1200, vertical_dpi: 1200 } }));
    fails('TICKET_NOT_SUPPORTED', /page_orientation AUTO/, () => fits({ page_orientation: { type: 'AUTO' } }));
    fails('TICKET_NOT_SUPPORTED', /vendor option punch/, () => fits({ vendor_ticket_item: [{ id: 'punch', value: '2' }] }));
    fails('TICKET_NOT_SUPPORTED', /media size ISO_A3|media size A3/, () => fits({ media_size: { vendor_id: 'A3' } }));
  });
  test('a printer without duplex or copies takes only one simplex copy', () => {
    const bare = cdd({});
    checkTicketFits(ticket({ duplex: { type: 'NO_DUPLEX' }, copies: { copies: 1 } }), bare);
    fails('TICKET_NOT_SUPPORTED', /duplex LONG_EDGE \(it offers NO_DUPLEX\)/, () => checkTicketFits(ticket({ duplex: { type: 'LONG_EDGE' } }), bare));
    fails('TICKET_NOT_SUPPORTED', /2 copies \(at most 1\)/, () => checkTicketFits(ticket({ copies: { copies: 2 } }), bare));
  });
  test('content types: listed ones, wildcards, and anything when the CDD lists none', () => {
    assert.equal(acceptsContentType(caps, 'application/pdf'), true);
    assert.equal(acceptsContentType(caps, 'image/jpeg'), false);
    assert.equal(acceptsContentType(cdd({ supported_content_type: [{ content_type: 'image/*' }] }), 'image/jpeg'), true);
    assert.equal(acceptsContentType(cdd({}), 'image/jpeg'), true);
  });
});

describe('job states', () => {
  test('the allowed moves (GCP §d) and final states', () => {
    for (const [from, to] of [['QUEUED', 'IN_PROGRESS'], ['QUEUED', 'HELD'], ['HELD', 'QUEUED'], ['IN_PROGRESS', 'STOPPED'], ['STOPPED', 'IN_PROGRESS'], ['IN_PROGRESS', 'DONE'], ['QUEUED', 'ABORTED'], ['DONE', 'DONE']]) {
      checkTransition(from!, to!);
    }
    for (const [from, to] of [['DONE', 'QUEUED'], ['ABORTED', 'IN_PROGRESS'], ['IN_PROGRESS', 'QUEUED'], ['IN_PROGRESS', 'HELD'], ['HELD', 'DONE'], ['QUEUED', 'DRAFT']]) {
      fails('ILLEGAL_TRANSITION', new RegExp(`from ${from} to ${to}`), () => checkTransition(from!, to!));
    }
  });
  test('ABORTED needs a valid cause; cause codes are checked (CANCELLED with two Ls)', () => {
    validateStateDiff({ state: { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } } });
    fails('INVALID_STATE', /action_code must be one of CANCELLED/, () => validateStateDiff({ state: { type: 'ABORTED', user_action_cause: { action_code: 'CANCELED' } } }));
    fails('INVALID_STATE', /needs a cause/, () => validatePrintJobState({ version: '1.0', state: { type: 'ABORTED' } }, 'final_semantic_state'));
    fails('INVALID_STATE', /must change state or pages_printed/, () => validateStateDiff({}));
    fails('INVALID_STATE', /pages_printed must be a whole number ≥ 0/, () => validateStateDiff({ pages_printed: -1 }));
  });
  test('legacy status maps both ways', () => {
    assert.deepEqual(stateFromLegacy('ERROR'), { type: 'ABORTED', device_action_cause: { error_code: 'OTHER' } });
    assert.deepEqual(stateFromLegacy('in_progress'), { type: 'IN_PROGRESS' });
    fails('INVALID_PARAMETER', /status must be/, () => stateFromLegacy('PAUSED'));
    assert.equal(legacyStatus('STOPPED'), 'IN_PROGRESS');
    assert.equal(legacyStatus('HELD'), 'QUEUED');
    assert.equal(legacyStatus('ABORTED'), 'ERROR');
  });
});
