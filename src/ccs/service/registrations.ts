// Device registrations and topic subscriptions. A device account (an XMPP
// identity) holds one registration per (sender, app); its registration_id is
// the token app servers address. Registering again for the same pair, or
// unregistering, marks the old token unregistered (DEVICE_UNREGISTERED from
// then on) and drops what was queued for it.
import type { Db } from '../../store/db.ts';
import { newSecret } from '../../auth/secrets.ts';
import type { CcsRegistrationsTable } from '../../store/tables/ccs.ts';
import { BatchStatement } from './batch-sql.ts';

export type Registration = CcsRegistrationsTable;

export class Registrations {
  // Run for every batch of downstream messages (see ./batch-sql.ts).
  private readonly selectMany = new BatchStatement<string, Registration>(
    (db, size) => db.selectFrom('ccs_registrations').selectAll().where('registration_id', 'in', Array.from({ length: size }, () => '')),
    (id) => [id],
    1,
  );

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async register(device: { accountId: string; jidLocal: string }, senderId: string, app: string): Promise<Registration> {
    const registration: Registration = {
      // The original's tokens began APA91b; ours are 256-bit random.
      registration_id: newSecret('APA91b'),
      sender_id: senderId,
      app,
      account_id: device.accountId,
      jid_local: device.jidLocal,
      created_at: this.now(),
      unregistered_at: null,
    };
    await this.db.transaction().execute(async (tx) => {
      await this.unregisterWhere(tx, device.accountId, senderId, app);
      await tx.insertInto('ccs_registrations').values(registration).execute();
    });
    return registration;
  }

  /** Unregisters the account's registration for (sender, app); false when there was none. */
  async unregister(accountId: string, senderId: string, app: string): Promise<boolean> {
    return this.db.transaction().execute((tx) => this.unregisterWhere(tx, accountId, senderId, app));
  }

  private async unregisterWhere(tx: Db, accountId: string, senderId: string, app: string): Promise<boolean> {
    const active = await tx
      .selectFrom('ccs_registrations')
      .select('registration_id')
      .where('account_id', '=', accountId)
      .where('sender_id', '=', senderId)
      .where('app', '=', app)
      .where('unregistered_at', 'is', null)
      .execute();
    const ids = active.map((r) => r.registration_id);
    if (!ids.length) return false;
    await tx.updateTable('ccs_registrations').set({ unregistered_at: this.now() }).where('registration_id', 'in', ids).execute();
    await tx.deleteFrom('ccs_topic_subscriptions').where('registration_id', 'in', ids).execute();
    await tx.deleteFrom('ccs_downstream').where('registration_id', 'in', ids).execute();
    return true;
  }

  find(registrationId: string): Promise<Registration | undefined> {
    return this.db.selectFrom('ccs_registrations').selectAll().where('registration_id', '=', registrationId).executeTakeFirst();
  }

  /** The registrations with these tokens (unknown tokens are simply absent). */
  async findMany(registrationIds: readonly string[]): Promise<Map<string, Registration>> {
    const found = new Map<string, Registration>();
    for (const row of await this.selectMany.run(this.db, [...new Set(registrationIds)])) found.set(row.registration_id, row);
    return found;
  }

  /** The account's active registration for a sender (an upstream message names only the sender). */
  async activeFor(accountId: string, senderId: string): Promise<Registration | undefined> {
    return this.db
      .selectFrom('ccs_registrations')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('sender_id', '=', senderId)
      .where('unregistered_at', 'is', null)
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
  }

  async subscribe(registration: Registration, topic: string): Promise<void> {
    await this.db
      .insertInto('ccs_topic_subscriptions')
      .values({ registration_id: registration.registration_id, sender_id: registration.sender_id, topic, created_at: this.now() })
      .onConflict((oc) => oc.columns(['registration_id', 'topic']).doNothing())
      .execute();
  }

  async unsubscribe(registrationId: string, topic: string): Promise<boolean> {
    const result = await this.db.deleteFrom('ccs_topic_subscriptions').where('registration_id', '=', registrationId).where('topic', '=', topic).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async topicsOf(registrationId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('ccs_topic_subscriptions').select('topic').where('registration_id', '=', registrationId).orderBy('topic').execute();
    return rows.map((r) => r.topic);
  }

  /** For each active registration of the sender subscribed to any of `topics`: the set of those topics it holds. */
  async subscribers(senderId: string, topics: readonly string[]): Promise<Map<Registration, Set<string>>> {
    const rows = await this.db
      .selectFrom('ccs_topic_subscriptions as s')
      .innerJoin('ccs_registrations as r', 'r.registration_id', 's.registration_id')
      .selectAll('r')
      .select('s.topic')
      .where('s.sender_id', '=', senderId)
      .where('s.topic', 'in', [...new Set(topics)])
      .where('r.unregistered_at', 'is', null)
      .execute();
    const byId = new Map<string, [Registration, Set<string>]>();
    for (const { topic, ...registration } of rows) {
      const entry = byId.get(registration.registration_id) ?? [registration, new Set<string>()];
      entry[1].add(topic);
      byId.set(registration.registration_id, entry);
    }
    return new Map([...byId.values()]);
  }
}
