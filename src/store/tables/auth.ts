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
}

export interface AuthTables {
  accounts: AccountsTable;
  tokens: TokensTable;
}
