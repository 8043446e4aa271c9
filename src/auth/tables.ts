// Row types of the account tables (migration 0001).
export type AccountKind = 'user' | 'robot' | 'device';
export type TokenKind = 'access' | 'refresh' | 'api' | 'code';

export interface AccountsTable {
  id: string;
  kind: AccountKind;
  email: string | null;
  password_hash: string | null;
  /** Local part of the account's XMPP JID: JID = jid_local@domain. */
  jid_local: string;
  created_at: number;
}

export interface TokensTable {
  /** SHA-256 (hex) of the token; the token itself is never stored. */
  token_hash: string;
  account_id: string;
  kind: TokenKind;
  client_id: string | null;
  /** Refresh tokens of one grant share a family, so a replayed one revokes them all. */
  family: string | null;
  expires_at: number | null;
  created_at: number;
}

export interface AuthTables {
  accounts: AccountsTable;
  tokens: TokensTable;
}
