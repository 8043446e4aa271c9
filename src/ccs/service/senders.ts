// Senders: the app-server identities of the CCS. A sender has a numeric ID
// (the SASL user name, `SENDER_ID@DOMAIN`) and an API key (the password, and
// the `Authorization: key=` of /gcm/send) stored only as its hash. Keys can be
// rotated (the old one stops working at once) or revoked.
import { randomInt } from 'node:crypto';
import type { Db } from '../../store/db.ts';
import { hashToken, newSecret } from '../../auth/secrets.ts';
import type { CcsSendersTable } from '../../store/tables/ccs.ts';

export type Sender = CcsSendersTable;

export class Senders {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** Creates a sender; returns its ID and the API key (shown once). */
  async create(name: string): Promise<{ sender_id: string; api_key: string }> {
    const api_key = newSecret('ocps_');
    // Twelve digits, like the original's project numbers; retried on the rare clash.
    for (;;) {
      const sender_id = String(randomInt(100_000, 1_000_000)) + String(randomInt(0, 1_000_000)).padStart(6, '0');
      if (await this.find(sender_id)) continue;
      await this.db.insertInto('ccs_senders').values({ sender_id, name, api_key_hash: hashToken(api_key), created_at: this.now(), rotated_at: null, revoked_at: null }).execute();
      return { sender_id, api_key };
    }
  }

  find(senderId: string): Promise<Sender | undefined> {
    return this.db.selectFrom('ccs_senders').selectAll().where('sender_id', '=', senderId).executeTakeFirst();
  }

  list(): Promise<Sender[]> {
    return this.db.selectFrom('ccs_senders').selectAll().orderBy('created_at').execute();
  }

  /** A new API key for the sender; the old one stops working now. Also lifts a revocation. */
  async rotate(senderId: string): Promise<string> {
    const api_key = newSecret('ocps_');
    const result = await this.db
      .updateTable('ccs_senders')
      .set({ api_key_hash: hashToken(api_key), rotated_at: this.now(), revoked_at: null })
      .where('sender_id', '=', senderId)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new Error(`no sender ${senderId}`);
    return api_key;
  }

  async revoke(senderId: string): Promise<void> {
    const result = await this.db.updateTable('ccs_senders').set({ revoked_at: this.now() }).where('sender_id', '=', senderId).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new Error(`no sender ${senderId}`);
  }

  /** The sender whose current, unrevoked key this is (HTTP `Authorization: key=`). */
  async byApiKey(apiKey: string): Promise<Sender | undefined> {
    const sender = await this.db.selectFrom('ccs_senders').selectAll().where('api_key_hash', '=', hashToken(apiKey)).executeTakeFirst();
    return sender && sender.revoked_at === null ? sender : undefined;
  }

  /** True when `apiKey` is the sender's current key (XMPP login). */
  async authenticate(senderId: string, apiKey: string): Promise<boolean> {
    const sender = await this.byApiKey(apiKey);
    return sender?.sender_id === senderId;
  }
}
