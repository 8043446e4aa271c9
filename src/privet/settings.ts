// Privet §4.1.1: the local settings a device reports and obeys. Only the
// device changes "current"; "pending" comes from the cloud (§4.1.3.2).
export interface LocalSettings {
  local_discovery: boolean;
  access_token_enabled: boolean;
  'printer/local_printing_enabled': boolean;
  'printer/conversion_printing_enabled': boolean;
  xmpp_timeout_value: number;
}

/** §4.1.1 defaults for a newly registered device; xmpp_timeout_value "MUST be 300 (5 minutes) or more". */
export const DEFAULT_LOCAL_SETTINGS: LocalSettings = {
  local_discovery: true,
  access_token_enabled: true,
  'printer/local_printing_enabled': true,
  'printer/conversion_printing_enabled': true,
  xmpp_timeout_value: 300,
};

const BOOLEAN_KEYS = ['local_discovery', 'access_token_enabled', 'printer/local_printing_enabled', 'printer/conversion_printing_enabled'] as const;

/**
 * Merges the settings the cloud asks for over the ones in effect, keeping
 * only well-typed values; anything malformed is left as it was.
 */
export function applySettings(current: LocalSettings, requested: Record<string, unknown> | undefined): LocalSettings {
  const next = { ...current };
  if (!requested) return next;
  for (const key of BOOLEAN_KEYS) {
    if (typeof requested[key] === 'boolean') next[key] = requested[key];
  }
  const timeout = requested.xmpp_timeout_value;
  if (typeof timeout === 'number' && Number.isInteger(timeout) && timeout > 0) next.xmpp_timeout_value = timeout;
  return next;
}
