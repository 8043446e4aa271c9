// What the CCS logic needs from a connection, whatever carries it (the XMPP
// listeners of src/xmpp, or a test double): a way to send one `<gcm>`
// message and to close.

export interface GcmLink {
  /**
   * Sends `<message [id] [type]><gcm xmlns="google:mobile:data">JSON</gcm></message>`.
   * ACKs and NACKs go without `type`, upstream messages, receipts and control
   * messages with `type="normal"` (CCS §2).
   */
  sendGcm(json: string, options?: { id?: string; type?: 'normal' }): void;
  close(): void;
}

/** How long a message with time_to_live 0 ("now or never", §3) may still be handed over. */
export const NOW_OR_NEVER_MS = 1000;

export function expiryOf(now: number, ttlSeconds: number): number {
  return now + (ttlSeconds === 0 ? NOW_OR_NEVER_MS : ttlSeconds * 1000);
}
