// The printer description fields of `register` and `update`
// [GCP §a "Register fields", "Update fields"], and the
// Privet §4.1 local settings rule.
import { CloudError } from './errors.ts';
import type { Params } from './params.ts';
import { validateCdd, validateCds } from './shapes.ts';
import type { PrintersTable } from '../store/tables/cloud.ts';

type Columns = Partial<PrintersTable>;

const TEXT_FIELDS: Array<[param: string, column: keyof PrintersTable]> = [
  ['default_display_name', 'default_display_name'],
  ['proxy', 'proxy'],
  ['uuid', 'uuid'],
  ['manufacturer', 'manufacturer'],
  ['model', 'model'],
  ['gcp_version', 'gcp_version'],
  ['setup_url', 'setup_url'],
  ['support_url', 'support_url'],
  ['update_url', 'update_url'],
  ['firmware', 'firmware'],
  ['capsHash', 'caps_hash'],
  ['certification_id', 'certification_id'],
];

const CHANNELS = ['XMPP_CHANNEL', 'FCM_CHANNEL'];
const MAX_TAGS = 500;
const MAX_TAG_LENGTH = 4096;

/** The description columns a request sets; absent parameters are left out. */
export function printerColumns(params: Params): Columns {
  const columns: Record<string, unknown> = {};
  // The Go connector sends `name`; Chrome and the GCP 2.0 prototype send `printer`.
  const name = params.get('name') ?? params.get('printer');
  if (name !== undefined) {
    if (!name.trim()) throw new CloudError('INVALID_PARAMETER', 'Parameter name must not be empty');
    columns.name = name;
  }
  for (const [param, column] of TEXT_FIELDS) {
    const value = params.get(param);
    if (value !== undefined) columns[column] = value;
  }
  if (params.has('capabilities')) {
    if (params.get('use_cdd') !== undefined && !params.bool('use_cdd')) throw new CloudError('INVALID_PARAMETER', 'Only CDD capabilities are supported: send use_cdd=true');
    columns.capabilities = JSON.stringify(validateCdd(params.json('capabilities')));
  }
  if (params.has('semantic_state')) columns.semantic_state = JSON.stringify(validateCds(params.json('semantic_state')));
  const channel = params.get('notification_channel');
  if (channel !== undefined) {
    if (!CHANNELS.includes(channel)) throw new CloudError('INVALID_PARAMETER', `Parameter notification_channel must be one of ${CHANNELS.join(', ')}, got "${channel}"`);
    columns.notification_channel = channel;
  }
  return columns as Columns;
}

export function checkTags(tags: string[]): string[] {
  if (tags.length > MAX_TAGS) throw new CloudError('INVALID_PARAMETER', `At most ${MAX_TAGS} tags are allowed`);
  const long = tags.find((tag) => tag.length > MAX_TAG_LENGTH);
  if (long !== undefined) throw new CloudError('INVALID_PARAMETER', `A tag is longer than ${MAX_TAG_LENGTH} characters`);
  return tags;
}

/**
 * Whether `tag` matches a `remove_tag` pattern: the tag itself, or a pattern in
 * which `.*` stands for any run of characters (the connector sends `__cp__.*`).
 * Nothing else is special: the original took a regular expression, but a
 * client-supplied one could backtrack for hours and stall the whole server.
 */
export function tagMatches(pattern: string, tag: string): boolean {
  const parts = pattern.split('.*');
  if (parts.length === 1) return tag === pattern;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!tag.startsWith(first) || !tag.endsWith(last) || first.length + last.length > tag.length) return false;
  let at = first.length;
  for (const middle of parts.slice(1, -1)) {
    const found = tag.indexOf(middle, at);
    if (found < 0 || found + middle.length > tag.length - last.length) return false;
    at = found + middle.length;
  }
  return true;
}

/** `update` tags: every `remove_tag` pattern removes the tags it matches, then the `tag`s are added. */
export function updatedTags(current: string[], params: Params): string[] | undefined {
  const removals = params.all('remove_tag');
  const additions = params.all('tag');
  if (!removals.length && !additions.length) return undefined;
  if (removals.some((pattern) => pattern.length > 200)) throw new CloudError('INVALID_PARAMETER', 'A remove_tag pattern is longer than 200 characters');
  const kept = current.filter((tag) => !removals.some((pattern) => tagMatches(pattern, tag)));
  return checkTags([...new Set([...kept, ...additions])]);
}

const SETTING_TYPES: Record<string, 'boolean' | 'number'> = {
  local_discovery: 'boolean',
  access_token_enabled: 'boolean',
  'printer/local_printing_enabled': 'boolean',
  'printer/conversion_printing_enabled': 'boolean',
  xmpp_timeout_value: 'number',
};

function checkSettings(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CloudError('INVALID_PARAMETER', `${path} must be an object`);
  for (const [key, type] of Object.entries(SETTING_TYPES)) {
    const setting = (value as Record<string, unknown>)[key];
    if (setting === undefined) continue;
    const ok = type === 'boolean' ? typeof setting === 'boolean' : Number.isInteger(setting) && (setting as number) > 0;
    if (!ok) throw new CloudError('INVALID_PARAMETER', `${path}.${key} must be ${type === 'boolean' ? 'true or false' : 'a positive whole number of seconds'}`);
  }
  return value as Record<string, unknown>;
}

/**
 * Privet §4.1.3.2: only the device changes `current`; everyone else changes
 * `pending` and waits for the device to adopt it. Privet §4.1.3.1: the device never
 * sends `pending`. When the device writes `current`, nothing is pending any more.
 * `local_settings={}` changes nothing: certification tooling sends it to read
 * the settings back from the reply.
 */
export function localSettingsColumns(params: Params, byDevice: boolean): Columns | undefined {
  const value = params.json('local_settings');
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CloudError('INVALID_PARAMETER', 'local_settings must be an object with "current" or "pending"');
  const { current, pending } = value as { current?: unknown; pending?: unknown };
  if (byDevice) {
    if (pending !== undefined) throw new CloudError('INVALID_PARAMETER', 'A device never sends local_settings.pending (Privet §4.1.3.1)');
    if (current === undefined) return undefined;
    return { local_settings_current: JSON.stringify(checkSettings(current, 'local_settings.current')), local_settings_pending: null };
  }
  const wanted = pending ?? current;
  if (wanted === undefined) return undefined;
  return { local_settings_pending: JSON.stringify(checkSettings(wanted, pending !== undefined ? 'local_settings.pending' : 'local_settings.current')) };
}
