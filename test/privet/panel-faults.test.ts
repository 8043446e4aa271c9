// Issue 16 item 12: the front panel expresses every fault the GCP 2.0
// certification tooling asks for, each as its own CDS unit state
// (GCP §f) and vendor_state item, and the job cause
// (§d device_state_cause) a stopped job shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrontPanel, parsePanelChange, PanelInputError, type PanelState } from '../../src/privet/panel.ts';

type Cds = Record<string, any>;

function cdsWith(change: Partial<PanelState>): Cds {
  const panel = new FrontPanel();
  panel.set(change);
  return panel.semanticState(false);
}

const unit = (cds: Cds, section: string) => cds[`${section}_state`].item[0];
const vendor = (cds: Cds) => (cds.vendor_state?.item ?? []) as Array<{ state: string; description: string }>;

test('each fault has its own unit state, an ERROR vendor_state and the stopped job cause', () => {
  const cases: Array<[Partial<PanelState>, string, Record<string, string>, string, string]> = [
    // change, unit section, unit state, vendor description, job cause
    [{ toner: 0 }, 'marker', { state: 'EXHAUSTED' }, 'Toner is empty', 'MARKER'],
    [{ cartridge: 'removed' }, 'marker', { state: 'REMOVED' }, 'Toner is removed', 'MARKER'],
    [{ paper: 'empty' }, 'input_tray', { state: 'EMPTY' }, 'Input tray is empty', 'INPUT_TRAY'],
    [{ tray: 'open' }, 'input_tray', { state: 'OPEN' }, 'Input tray is open', 'INPUT_TRAY'],
    [{ cover: 'open' }, 'cover', { state: 'OPEN' }, 'Door/cover is open', 'OTHER'],
    [{ jam: true }, 'media_path', { state: 'MEDIA_JAM' }, 'Paper jam', 'MEDIA_PATH'],
  ];
  for (const [change, section, expected, description, cause] of cases) {
    const panel = new FrontPanel();
    panel.set(change);
    const cds = panel.semanticState(false);
    assert.equal(cds.state, 'STOPPED', JSON.stringify(change));
    assert.equal(unit(cds, section).state, expected.state, JSON.stringify(change));
    assert.deepEqual(vendor(cds), [{ state: 'ERROR', description }], JSON.stringify(change));
    assert.deepEqual(panel.stopReason(), { description, cause });
  }
  const offline = cdsWith({ online: false });
  assert.equal(offline.state, 'STOPPED');
  assert.deepEqual(vendor(offline), [{ state: 'ERROR', description: 'Printer is offline' }]);
});

test('toner low is a WARNING that does not stop the printer; a removed cartridge reports no level', () => {
  const low = cdsWith({ toner: 5 });
  assert.equal(low.state, 'IDLE');
  assert.deepEqual(unit(low, 'marker'), { vendor_id: 'toner', state: 'OK', level_percent: 5 });
  assert.deepEqual(vendor(low), [{ state: 'WARNING', description: 'Toner is low' }]);
  assert.deepEqual(unit(cdsWith({ cartridge: 'removed', toner: 5 }), 'marker'), { vendor_id: 'toner', state: 'REMOVED' });
  const healthy = cdsWith({});
  assert.equal(healthy.state, 'IDLE');
  assert.equal(healthy.vendor_state, undefined);
});

test('several faults at once: every one is listed, the most urgent is the job cause', () => {
  const panel = new FrontPanel();
  panel.set({ jam: true, tray: 'open', cartridge: 'removed' });
  assert.deepEqual(vendor(panel.semanticState(false)).map((v) => v.description), ['Paper jam', 'Input tray is open', 'Toner is removed']);
  assert.equal(panel.stopReason()?.cause, 'MEDIA_PATH');
});

test('the panel refuses values it does not know', () => {
  assert.deepEqual(parsePanelChange({ tray: 'open', cartridge: 'removed' }), { tray: 'open', cartridge: 'removed' });
  for (const bad of [{ tray: 'ajar' }, { cartridge: true }, { paper: 'full' }, { toner: -1 }, { drawer: 'open' }]) {
    assert.throws(() => parsePanelChange(bad), PanelInputError, JSON.stringify(bad));
  }
});
