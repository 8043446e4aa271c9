// Row types of the Cloud Connection Server tables (migration 0003).

export interface CcsSendersTable {
  /** The numeric sender ID app servers log in with (`SENDER_ID@DOMAIN`). */
  sender_id: string;
  name: string;
  /** SHA-256 (hex) of the current API key; the key itself is never stored. */
  api_key_hash: string;
  created_at: number;
  rotated_at: number | null;
  /** Set when the key was revoked: logins and /gcm/send fail from then on. */
  revoked_at: number | null;
}

export interface CcsRegistrationsTable {
  /** The registration token app servers address (`to`). */
  registration_id: string;
  sender_id: string;
  /** The app (package name) the device registered for; the `category` of its upstream messages. */
  app: string;
  /** The device account holding the XMPP session. */
  account_id: string;
  jid_local: string;
  created_at: number;
  /** Set when the device unregistered: sends to it fail with DEVICE_UNREGISTERED. */
  unregistered_at: number | null;
}

export interface CcsTopicSubscriptionsTable {
  registration_id: string;
  sender_id: string;
  /** Topic name without the `/topics/` prefix. */
  topic: string;
  created_at: number;
}

/** A downstream message queued for one device until the device ACKs it or it expires. */
export interface CcsDownstreamTable {
  /** Server-assigned id, the `message_id` the device sees and ACKs. */
  id: string;
  sender_id: string;
  /** The app server's `message_id`. */
  message_id: string;
  registration_id: string;
  jid_local: string;
  collapse_key: string | null;
  /** 1 = high, 0 = normal. */
  priority: number;
  delay_while_idle: number;
  receipt_requested: number;
  /** The JSON the device receives. */
  payload: string;
  expires_at: number;
  created_at: number;
}

/** A message for the sender's app servers (upstream from a device, or a receipt) until one ACKs it. */
export interface CcsUpstreamTable {
  id: string;
  sender_id: string;
  message_id: string;
  kind: 'upstream' | 'receipt';
  /** The JSON the app server receives. */
  payload: string;
  expires_at: number;
  created_at: number;
  /** When its app server ACKed it: a tombstone from then on, so that a device's resend is not stored again. */
  acked_at: number | null;
}

/** Message ids an app server already sent, so a resend after a dropped connection is not delivered twice. */
export interface CcsMessageIdsTable {
  sender_id: string;
  message_id: string;
  created_at: number;
}

export interface CcsTables {
  ccs_senders: CcsSendersTable;
  ccs_registrations: CcsRegistrationsTable;
  ccs_topic_subscriptions: CcsTopicSubscriptionsTable;
  ccs_downstream: CcsDownstreamTable;
  ccs_upstream: CcsUpstreamTable;
  ccs_message_ids: CcsMessageIdsTable;
}
