// Row types of the account tables (migration 0001).
export type AccountKind = 'user' | 'robot' | 'device';
/** `used_refresh`: a refresh token already exchanged, kept a while so that a replay revokes its grant. */
export type TokenKind = 'access' | 'refresh' | 'used_refresh' | 'api' | 'code';

export interface AccountsTable {
  id: string;
  kind: AccountKind;
  email: string | null;
  password_hash: string | null;
  /** Local part of the account's XMPP JID: JID = jid_local@domain. */
  jid_local: string;
  created_at: number;
  /** When an authorization code of this account was first exchanged for tokens, or burnt by an exchange with another client. */
  credentials_issued_at: number | null;
  /** When getauthcode last handed out this robot's code (another is handed out only once it expired unused). */
  code_issued_at: number | null;
}

export interface TokensTable {
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  token_hash: string;
  account_id: string;
  kind: TokenKind;
  client_id: string | null;
  /** The tokens of one grant (its access and refresh tokens, through every rotation) share a family, so a replayed refresh token revokes them all. */
  family: string | null;
  expires_at: number | null;
  created_at: number;
  /** What its owner calls an API token (migration 0011); null for other kinds. */
  name: string | null;
}

/** A device authorization request (RFC 8628, migration 0007): pending until its user approves or denies it. */
export interface DeviceCodesTable {
  /** SHA-256 (hex) of the device code the client polls with. */
  device_code_hash: string;
  /** SHA-256 (hex) of the normalized user code (letters only, upper case) the user enters. */
  user_code_hash: string;
  client_id: string | null;
  scope: string | null;
  status: 'pending' | 'approved' | 'denied';
  /** Who approved or denied it. */
  account_id: string | null;
  /** The polling interval the client must keep; slow_down adds 5 s (RFC 8628 §3.5). */
  interval_seconds: number;
  /** When the client last polled. */
  polled_at: number | null;
  expires_at: number;
  created_at: number;
}

export interface AuthTables {
  accounts: AccountsTable;
  tokens: TokensTable;
  device_codes: DeviceCodesTable;
}
