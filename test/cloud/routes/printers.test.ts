// The printer, claim and sharing handlers called alone, on a real store
// (SQLite and PostgreSQL) with no HTTP [GCP §a, §b; Privet §4.1.5, §4.4].
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Caller } from '../../../src/cloud/access.ts';
import { getPrinter, updatePrinter } from '../../../src/cloud/printers.ts';
import { createRobot } from '../../../src/cloud/routes/claim.ts';
import { deletePrinterAndJobs, registerPrinter, showPrinter } from '../../../src/cloud/routes/printers.ts';
import { mintProximityToken, sharePrinter, unsharePrinter } from '../../../src/cloud/routes/sharing.ts';
import { findShare, proximityTokenOwner } from '../../../src/cloud/sharing.ts';
import { hashToken } from '../../../src/auth/secrets.ts';
import { WindowLimiter } from '../../../src/limits/window-limiter.ts';
import { describeEachDialect } from '../../helpers/dialects.ts';
import { cloudOn, newRobot, newUser, paramsOf, refusal, type TestCloud } from '../../helpers/cloud-service.ts';
import { registerParams } from '../../helpers/cloud.ts';

type View = Record<string, any>;

describeEachDialect('printer and sharing handlers', (store) => {
  let cloud: TestCloud;
  before(() => void (cloud = cloudOn(store.current)));
  after(() => cloud.close());

  const call = (caller: Caller, params: Record<string, string>) => ({ service: cloud.service, params: paramsOf(params), caller, address: '127.0.0.1' });
  const register = async (caller: Caller | undefined, limiter = new WindowLimiter(10), address = '127.0.0.1') =>
    (await registerPrinter({ service: cloud.service, params: paramsOf(registerParams() as Record<string, string>), caller, address }, limiter)) as { printers: View[]; registration_token?: string };

  test('register without a token waits to be claimed, bounded per source address', async () => {
    const limiter = new WindowLimiter(1);
    const first = await register(undefined, limiter, '192.0.2.1');
    assert.match(first.registration_token ?? '', /^[A-Z2-9]{5}$/);
    assert.equal((await getPrinter(cloud.service.db, first.printers[0]!.id)).owner_id, null);
    await assert.rejects(register(undefined, limiter, '192.0.2.1'), refusal('TOO_MANY_REGISTRATIONS'));
    await register(undefined, limiter, '192.0.2.2');
    // A signed-in registration is not anonymous and not counted.
    await register(await newUser(cloud.service), limiter, '192.0.2.1');
  });

  test('a robot made with createrobot registers printers its user owns', async () => {
    const user = await newUser(cloud.service);
    await assert.rejects(createRobot(call(await newRobot(cloud.service), {})), refusal('FORBIDDEN'));
    const made = (await createRobot(call(user, {}))) as { xmpp_jid: string };
    const robot = await cloud.service.accounts.findByJidLocal(made.xmpp_jid.split('@')[0]!);
    const { printers } = await register({ account: robot! });
    const row = await getPrinter(cloud.service.db, printers[0]!.id);
    assert.deepEqual([row.owner_id, row.robot_id], [user.account.id, robot!.id]);
  });

  test('printer records its device\'s contact at most once a minute, and answers 200 once the printer is deleted (Privet §4.1.5)', async () => {
    const device = await newRobot(cloud.service);
    const id = (await register(device)).printers[0]!.id;
    await updatePrinter(cloud.service.db, id, { accessed_at: 1000 });
    await showPrinter(call(device, { printerid: id }));
    const contact = (await getPrinter(cloud.service.db, id)).accessed_at;
    assert.ok(contact > Date.now() - 60_000);
    await updatePrinter(cloud.service.db, id, { accessed_at: contact - 30_000 });
    await showPrinter(call(device, { printerid: id }));
    assert.equal((await getPrinter(cloud.service.db, id)).accessed_at, contact - 30_000);

    cloud.published.length = 0;
    await deletePrinterAndJobs(call(device, { printerid: id }));
    assert.deepEqual(cloud.published, [
      { type: 'printer-changed', printerId: id, what: 'printer' },
      { type: 'printer', kind: 'delete', printerId: id, recipients: [device.account.jid_local] },
    ]);
    await assert.rejects(showPrinter(call(device, { printerid: id })), { ...refusal('PRINTER_NOT_FOUND'), status: 200 });
  });

  test('share: a manager shares USER or MANAGER but never OWNER, and cannot change an OWNER share', async () => {
    const device = await newRobot(cloud.service);
    const id = (await register(device)).printers[0]!.id;
    const [manager, owner, user] = [await newUser(cloud.service), await newUser(cloud.service), await newUser(cloud.service)];
    await sharePrinter(call(device, { printerid: id, scope: manager.account.email!, role: 'MANAGER' }));
    await sharePrinter(call(device, { printerid: id, scope: owner.account.email!, role: 'OWNER' }));
    await sharePrinter(call(manager, { printerid: id, scope: user.account.email! }));
    assert.equal((await findShare(cloud.service.db, id, user.account.email!))?.role, 'USER');
    await assert.rejects(sharePrinter(call(manager, { printerid: id, scope: user.account.email!, role: 'OWNER' })), refusal('FORBIDDEN'));
    await assert.rejects(sharePrinter(call(manager, { printerid: id, scope: owner.account.email!, role: 'USER' })), refusal('FORBIDDEN'));
    await assert.rejects(sharePrinter(call(device, { printerid: id, public: 'true', role: 'MANAGER' })), refusal('INVALID_PARAMETER'));
    // Anyone may remove their own share; a USER may not remove another's.
    await assert.rejects(unsharePrinter(call(user, { printerid: id, scope: manager.account.email! })), refusal('FORBIDDEN'));
    await unsharePrinter(call(user, { printerid: id, scope: user.account.email! }));
    assert.equal(await findShare(cloud.service.db, id, user.account.email!), undefined);
  });

  test('proximitytoken: an owner mints a token for a user that finds that user and printer until it expires (Privet §4.4)', async () => {
    const device = await newRobot(cloud.service);
    const id = (await register(device)).printers[0]!.id;
    const user = await newUser(cloud.service);
    const { proximity_token: minted } = (await mintProximityToken(call(device, { printerid: id, user: user.account.email! }))) as { proximity_token: { token: string; expires_in: number } };
    const hash = hashToken(minted.token);
    const holder = await proximityTokenOwner(cloud.service.db, hash);
    assert.deepEqual([holder?.account.id, holder?.printerId], [user.account.id, id]);
    assert.equal(await proximityTokenOwner(cloud.service.db, hash, Date.now() + minted.expires_in * 1000 + 1), undefined);
    await assert.rejects(mintProximityToken(call(user, { printerid: id, user: user.account.email! })), refusal('PRINTER_NOT_FOUND'));
  });
});
