// uiState (GCP 2.0) from a CDS and from a PrintJobState: one row per case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobUiState, printerUiState, waitingCause, type JobUiState, type PrinterUiState } from '../../src/cloud/ui-state.ts';
import type { JobState } from '../../src/protocol/job-state.ts';

const cds = (printer: Record<string, unknown>) => ({ version: '1.0', printer });
const one = (state: string, extra: Record<string, unknown> = {}) => ({ item: [{ vendor_id: 'x', state, ...extra }] });

const printerCases: Array<[name: string, state: Record<string, unknown> | undefined, offline: boolean, expected: PrinterUiState]> = [
  ['healthy and idle: no caption', cds({ state: 'IDLE', media_path_state: one('OK'), marker_state: one('OK', { level_percent: 80 }) }), false, { summary: 'IDLE', severity: 'NONE', num_issues: 0 }],
  ['printing', cds({ state: 'PROCESSING' }), false, { summary: 'PROCESSING', severity: 'NONE', num_issues: 0 }],
  ['no state reported yet', undefined, false, { summary: 'IDLE', severity: 'NONE', num_issues: 0 }],
  ['paper jam', cds({ state: 'STOPPED', media_path_state: one('MEDIA_JAM') }), false, { summary: 'STOPPED', severity: 'HIGH', num_issues: 1, caption: 'paper jam' }],
  ['cover open', cds({ state: 'STOPPED', cover_state: one('OPEN') }), false, { summary: 'STOPPED', severity: 'HIGH', num_issues: 1, caption: 'door/cover is open' }],
  ['tray empty', cds({ state: 'STOPPED', input_tray_state: one('EMPTY', { level_percent: 0 }) }), false, { summary: 'STOPPED', severity: 'HIGH', num_issues: 1, caption: 'input tray is empty' }],
  ['tray open', cds({ state: 'STOPPED', input_tray_state: one('OPEN') }), false, { summary: 'STOPPED', severity: 'HIGH', num_issues: 1, caption: 'input tray is open' }],
  ['toner removed', cds({ state: 'STOPPED', marker_state: one('REMOVED') }), false, { summary: 'STOPPED', severity: 'HIGH', num_issues: 1, caption: 'toner is removed' }],
  ['toner empty', cds({ state: 'STOPPED', marker_state: one('EXHAUSTED', { level_percent: 0 }) }), false, { summary: 'STOPPED', severity: 'HIGH', num_issues: 1, caption: 'toner is empty' }],
  ['toner low: a warning, still idle', cds({ state: 'IDLE', marker_state: one('OK', { level_percent: 7 }) }), false, { summary: 'IDLE', severity: 'MEDIUM', num_issues: 1, caption: 'toner is low' }],
  ['output bin full', cds({ state: 'STOPPED', output_bin_state: one('FULL') }), false, { summary: 'STOPPED', severity: 'HIGH', num_issues: 1, caption: 'output bin is full' }],
  [
    'a vendor item repeating a unit state is one issue; the most severe names the printer',
    cds({ state: 'STOPPED', marker_state: one('OK', { level_percent: 5 }), media_path_state: one('MEDIA_JAM'), vendor_state: { item: [{ state: 'ERROR', description: 'Paper jam' }, { state: 'WARNING', description: 'Toner is low' }] } }),
    false,
    { summary: 'STOPPED', severity: 'HIGH', num_issues: 2, caption: 'paper jam' },
  ],
  ['a vendor item alone (CUPS reason)', cds({ state: 'IDLE', vendor_state: { item: [{ state: 'INFO', description: 'cups-waiting-for-job-completed' }] } }), false, { summary: 'IDLE', severity: 'LOW', num_issues: 1, caption: 'cups-waiting-for-job-completed' }],
  ['vendor item without a description or with an unknown state: not an issue', cds({ state: 'IDLE', vendor_state: { item: [{ state: 'ERROR' }, { state: 'BAD', description: 'x' }] } }), false, { summary: 'IDLE', severity: 'NONE', num_issues: 0 }],
  ['device disconnected', cds({ state: 'IDLE' }), true, { summary: 'OFFLINE', severity: 'HIGH', num_issues: 1, caption: 'printer is offline' }],
  [
    'device disconnected with a jam last reported: both issues',
    cds({ state: 'STOPPED', media_path_state: one('MEDIA_JAM') }),
    true,
    { summary: 'OFFLINE', severity: 'HIGH', num_issues: 2, caption: 'printer is offline' },
  ],
  ['switched offline on its panel and disconnected: one issue', cds({ state: 'STOPPED', vendor_state: { item: [{ state: 'ERROR', description: 'Printer is offline' }] } }), true, { summary: 'OFFLINE', severity: 'HIGH', num_issues: 1, caption: 'printer is offline' }],
  ['malformed lists are ignored', cds({ state: 'WHATEVER', marker_state: { item: 'no' }, cover_state: 3 }), false, { summary: 'IDLE', severity: 'NONE', num_issues: 0 }],
];

for (const [name, state, offline, expected] of printerCases) {
  test(`printer uiState: ${name}`, () => {
    assert.deepEqual(printerUiState(state, offline), expected);
  });
}

const jobCases: Array<[name: string, state: JobState, pages: number, expected: JobUiState]> = [
  ['queued', { type: 'QUEUED' }, 0, { summary: 'QUEUED' }],
  ['in progress, nothing printed yet', { type: 'IN_PROGRESS' }, 0, { summary: 'IN_PROGRESS', progress: 'Pages printed: 0' }],
  ['in progress', { type: 'IN_PROGRESS' }, 3, { summary: 'IN_PROGRESS', progress: 'Pages printed: 3' }],
  ['done', { type: 'DONE' }, 5, { summary: 'DONE', progress: 'Pages printed: 5' }],
  ['stopped: tray', { type: 'STOPPED', device_state_cause: { error_code: 'INPUT_TRAY' } }, 1, { summary: 'STOPPED', progress: 'Pages printed: 1', cause: 'tray' }],
  ['stopped: jam', { type: 'STOPPED', device_state_cause: { error_code: 'MEDIA_PATH' } }, 2, { summary: 'STOPPED', progress: 'Pages printed: 2', cause: 'jam' }],
  ['stopped: toner', { type: 'STOPPED', device_state_cause: { error_code: 'MARKER' } }, 0, { summary: 'STOPPED', progress: 'Pages printed: 0', cause: 'toner' }],
  ['aborted: print failure', { type: 'ABORTED', device_action_cause: { error_code: 'PRINT_FAILURE' } }, 0, { summary: 'ABORTED', progress: 'Pages printed: 0', cause: 'print failure' }],
  ['aborted: bad document', { type: 'ABORTED', service_action_cause: { error_code: 'CONVERSION_ERROR' } }, 0, { summary: 'ABORTED', progress: 'Pages printed: 0', cause: 'conversion failed' }],
  ['aborted: an unnamed service cause', { type: 'ABORTED', service_action_cause: { error_code: 'GOOGLE_DRIVE_QUOTA' } }, 0, { summary: 'ABORTED', progress: 'Pages printed: 0', cause: 'other' }],
  ['cancelled by its owner', { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } }, 1, { summary: 'CANCELLED', progress: 'Pages printed: 1' }],
  ['expired in the queue', { type: 'ABORTED', service_action_cause: { error_code: 'EXPIRATION' } }, 0, { summary: 'EXPIRED', progress: 'Pages printed: 0' }],
  ['paused', { type: 'HELD', user_action_cause: { action_code: 'PAUSED' } }, 0, { summary: 'PAUSED' }],
];

for (const [name, state, pages, expected] of jobCases) {
  test(`job uiState: ${name}`, () => {
    assert.deepEqual(jobUiState(state, pages), expected);
  });
}

const waitingCases: Array<[name: string, printer: PrinterUiState, expected: string | undefined]> = [
  ['an idle printer holds nothing back', { summary: 'IDLE', severity: 'NONE', num_issues: 0 }, undefined],
  ['a busy printer holds nothing back', { summary: 'PROCESSING', severity: 'NONE', num_issues: 0 }, undefined],
  ['toner low does not stop it', { summary: 'IDLE', severity: 'LOW', num_issues: 1, caption: 'toner is low' }, undefined],
  ['offline', { summary: 'OFFLINE', severity: 'HIGH', num_issues: 1, caption: 'printer is offline' }, 'printer is offline'],
  ['stopped: its caption', { summary: 'STOPPED', severity: 'HIGH', num_issues: 1, caption: 'paper jam' }, 'paper jam'],
  ['stopped without a reason', { summary: 'STOPPED', severity: 'NONE', num_issues: 0 }, 'printer is stopped'],
];

for (const [name, printer, expected] of waitingCases) {
  test(`why a queued job waits: ${name}`, () => {
    assert.equal(waitingCause(printer), expected);
  });
}

test('a queued job carries why its printer holds it back; a started one keeps its own cause', () => {
  assert.deepEqual(jobUiState({ type: 'QUEUED' }, 0, 'input tray is empty'), { summary: 'QUEUED', cause: 'input tray is empty' });
  assert.deepEqual(jobUiState({ type: 'STOPPED', device_state_cause: { error_code: 'MEDIA_PATH' } }, 1, 'input tray is empty'), { summary: 'STOPPED', progress: 'Pages printed: 1', cause: 'jam' });
  assert.deepEqual(jobUiState({ type: 'DONE' }, 1, 'printer is offline'), { summary: 'DONE', progress: 'Pages printed: 1' });
});
