// Row types of the cloud print tables (migration 0002_cloud). JSON documents
// (CDD, CDS, CJT, PrintJobState, tags, local settings) are stored as text.

export interface PrintersTable {
  /** The printer id (GCPID), a UUID. */
  id: string;
  /** The user who owns the printer; null while an anonymous registration waits to be claimed. */
  owner_id: string | null;
  /** The robot account the printer (or its connector) authenticates as; null until claimed. */
  robot_id: string | null;
  proxy: string | null;
  uuid: string | null;
  name: string;
  default_display_name: string | null;
  manufacturer: string | null;
  model: string | null;
  gcp_version: string | null;
  setup_url: string | null;
  support_url: string | null;
  update_url: string | null;
  firmware: string | null;
  /** CDD JSON. */
  capabilities: string;
  caps_hash: string | null;
  /** The device's printer certification id (GCP 2.0 `certification_id`), as it registered it. */
  certification_id: string | null;
  /** CDS JSON. */
  semantic_state: string;
  /** JSON array of strings. */
  tags: string;
  notification_channel: string;
  /** Privet §4.1: the settings in effect (written only by the device) and those waiting for it. */
  local_settings_current: string | null;
  local_settings_pending: string | null;
  /** SHA-256 of the short claim token of an unclaimed anonymous registration. */
  registration_token_hash: string | null;
  registration_expires_at: number | null;
  created_at: number;
  updated_at: number;
  accessed_at: number;
}

export type ShareRole = 'USER' | 'MANAGER' | 'OWNER';

export interface SharesTable {
  printer_id: string;
  /** A lower-case email address, or `public`. */
  scope: string;
  role: ShareRole;
  created_at: number;
}

export interface JobsTable {
  id: string;
  printer_id: string;
  owner_id: string;
  title: string;
  content_type: string;
  /** CJT JSON. */
  ticket: string;
  /** File name under DATA/documents; null for reported local jobs. */
  document_path: string | null;
  document_size: number;
  document_sha256: string | null;
  /** The state type of `state`, kept as a column for filtering and counting. */
  status: string;
  /** PrintJobState JSON. */
  state: string;
  pages_printed: number;
  /** JSON array of strings. */
  tags: string;
  created_at: number;
  updated_at: number;
  /** SHA-256 of the proximity token the job was submitted with: that token reaches only such jobs. */
  proximity_token_hash: string | null;
  /** While the cloud converts the document for the printer: the type it becomes (the job is IN_PROGRESS meanwhile). */
  converting_to: string | null;
}

export interface ProximityTokensTable {
  token_hash: string;
  printer_id: string;
  user_id: string;
  expires_at: number;
  created_at: number;
}

/** A robot's XMPP push channel (migration 0010). */
export interface PushChannelsTable {
  account_id: string;
  /** When a session of the robot last subscribed to `google:push`. */
  opened_at: number;
  /** When its last session then closed; null, or before opened_at, while connected. */
  closed_at: number | null;
}

/** Which user a robot made by `createrobot` acts for. */
export interface RobotOwnersTable {
  robot_id: string;
  owner_id: string;
}

export interface CloudTables {
  printers: PrintersTable;
  shares: SharesTable;
  jobs: JobsTable;
  proximity_tokens: ProximityTokensTable;
  robot_owners: RobotOwnersTable;
  push_channels: PushChannelsTable;
}
