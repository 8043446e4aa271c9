// JIDs (RFC 7622): localpart@domainpart/resourcepart. We apply the parts of
// the PRECIS profiles that matter for routing: case-folding of the localpart
// and domainpart, length limits, and the characters a localpart may not hold.
export interface Jid {
  local: string;
  domain: string;
  resource: string;
}

const MAX_PART = 1023; // RFC 7622 §3.2–3.4: each part at most 1023 octets
const LOCAL_FORBIDDEN = /["&'/:<>@\s]/; // RFC 7622 §3.3.1

/** Parses a JID; undefined when it is malformed (the caller answers `jid-malformed`). */
export function parseJid(text: string): Jid | undefined {
  const slash = text.indexOf('/');
  const bare = slash < 0 ? text : text.slice(0, slash);
  const resource = slash < 0 ? '' : text.slice(slash + 1);
  const at = bare.indexOf('@');
  const local = at < 0 ? '' : bare.slice(0, at);
  const domain = (at < 0 ? bare : bare.slice(at + 1)).toLowerCase().replace(/\.$/, '');
  if (!domain || domain.length > MAX_PART || /[\s@/]/.test(domain)) return undefined;
  if (at >= 0 && (!local || local.length > MAX_PART || LOCAL_FORBIDDEN.test(local))) return undefined;
  if (slash >= 0 && (!resource || Buffer.byteLength(resource) > MAX_PART)) return undefined;
  return { local: local.toLowerCase(), domain, resource };
}

export function bareJid(jid: Pick<Jid, 'local' | 'domain'>): string {
  return jid.local ? `${jid.local}@${jid.domain}` : jid.domain;
}
