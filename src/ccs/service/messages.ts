// The JSON vocabulary of the CCS (§2–§4): downstream request
// validation with the original's error texts, and the ACK / NACK / receipt /
// control messages the server emits.
import { ConditionError, parseCondition, type Condition } from './condition.ts';
import { nulField, parseJson } from '../../input-checks.ts';

export const MAX_TTL_SECONDS = 2_419_200; // §3: 4 weeks
export const MAX_DATA_BYTES = 4096; // §3 size
export const MAX_TOPIC_DATA_BYTES = 2048;
export const MAX_MULTICAST = 1000; // §7 registration_ids
const TOPIC_PREFIX = '/topics/';
const TOPIC_NAME = /^[a-zA-Z0-9\-_.~%]+$/;

/** Every NACK code of §4.2 the server emits. */
export type NackCode =
  | 'INVALID_JSON'
  | 'BAD_REGISTRATION'
  | 'DEVICE_UNREGISTERED'
  | 'BAD_ACK'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR'
  | 'DEVICE_MESSAGE_RATE_EXCEEDED'
  | 'TOPICS_MESSAGE_RATE_EXCEEDED'
  | 'CONNECTION_DRAINING';

/**
 * Why a downstream message was refused, in both vocabularies: the XMPP NACK
 * (`code`, `description`) and the HTTP result error of §7 (`httpError`).
 * Without `httpError` the HTTP request as a whole is answered 400 with the
 * description, as the original did for JSON type errors.
 */
export interface Rejection {
  code: NackCode;
  description: string;
  httpError?: string;
}

export const REJECTIONS = {
  badRegistration: (to: string): Rejection => ({ code: 'BAD_REGISTRATION', description: `Invalid token on 'to' field: ${to}`, httpError: 'InvalidRegistration' }),
  mismatchSender: (to: string): Rejection => ({ code: 'BAD_REGISTRATION', description: `Registration token ${to} belongs to another sender`, httpError: 'MismatchSenderId' }),
  unregistered: (): Rejection => ({ code: 'DEVICE_UNREGISTERED', description: 'Device unregistered', httpError: 'NotRegistered' }),
  deviceRate: (): Rejection => ({ code: 'DEVICE_MESSAGE_RATE_EXCEEDED', description: 'Downstream message rate exceeded for this registration id', httpError: 'DeviceMessageRateExceeded' }),
  topicRate: (): Rejection => ({ code: 'TOPICS_MESSAGE_RATE_EXCEEDED', description: 'Message rate exceeded for this topic', httpError: 'TopicsMessageRateExceeded' }),
  unavailable: (why = 'Service temporarily unavailable, retry with exponential backoff'): Rejection => ({ code: 'SERVICE_UNAVAILABLE', description: why, httpError: 'Unavailable' }),
  internal: (): Rejection => ({ code: 'INTERNAL_SERVER_ERROR', description: 'Internal server error', httpError: 'InternalServerError' }),
  draining: (): Rejection => ({ code: 'CONNECTION_DRAINING', description: 'Connection is draining, retry on another connection', httpError: 'Unavailable' }),
};

/** A validated downstream request (§3). Exactly one of `to` (token or topic) and `condition` is set. */
export interface DownstreamRequest {
  messageId: string;
  to?: string;
  topic?: string;
  condition?: Condition;
  collapseKey?: string;
  priority: 'normal' | 'high';
  timeToLive: number;
  delayWhileIdle: boolean;
  receiptRequested: boolean;
  dryRun: boolean;
  contentAvailable?: boolean;
  mutableContent?: boolean;
  data?: Record<string, unknown>;
  notification?: Record<string, unknown>;
}

/** Thrown while validating; carries the rejection. */
export class InvalidMessage extends Error {
  constructor(readonly rejection: Rejection) {
    super(rejection.description);
  }
}

function invalid(kind: string, detail: string, httpError?: string): never {
  throw new InvalidMessage({ code: 'INVALID_JSON', description: `InvalidJson: ${kind} : ${detail}`, ...(httpError ? { httpError } : {}) });
}

function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

// The original's server was Java: type errors name the Java class (§4.2 examples).
const JAVA_TYPE = { string: 'java.lang.String', number: 'java.lang.Number', boolean: 'java.lang.Boolean', object: 'org.json.simple.JSONObject' } as const;

function typeError(field: string, type: keyof typeof JAVA_TYPE, value: unknown): never {
  invalid('JSON_TYPE_ERROR', `Field "${field}" must be a JSON ${JAVA_TYPE[type]}: ${shown(value)}`);
}

type Json = Record<string, unknown>;

function optional<T>(json: Json, field: string, type: 'string' | 'boolean'): T | undefined {
  const value = json[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) typeError(field, type, value);
  return value as T;
}

function optionalObject(json: Json, field: string): Json | undefined {
  const value = json[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) typeError(field, 'object', value);
  return value as Json;
}

/** `time_to_live` in seconds (§3): 0..2419200, `fallback` when absent. */
export function timeToLive(json: Json, fallback = MAX_TTL_SECONDS): number {
  let value = json.time_to_live;
  if (value === undefined || value === null) return fallback;
  // The doc's own sample sends "600" as a string (§2), so integer strings pass.
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) value = Number(value);
  if (typeof value !== 'number') typeError('time_to_live', 'number', value);
  if (!Number.isInteger(value) || value < 0 || value > MAX_TTL_SECONDS) {
    invalid('INVALID_TTL', `Invalid value (${value}) for "time_to_live": must be between 0 and "${MAX_TTL_SECONDS}"`, 'InvalidTtl');
  }
  return value;
}

// FCM reserved words in `data` (§3, S43).
function isReservedDataKey(key: string): boolean {
  return key === 'from' || key === 'message_type' || key === 'notification' || key.startsWith('google') || key.startsWith('gcm');
}

function payloadBytes(data: Json | undefined, notification: Json | undefined): number {
  let bytes = 0;
  for (const part of [data, notification]) {
    for (const [key, value] of Object.entries(part ?? {})) bytes += Buffer.byteLength(key) + Buffer.byteLength(shown(value));
  }
  return bytes;
}

export function missingField(field: string, httpError?: string): never {
  invalid('JSON_PARSING_ERROR', `Missing Required Field: ${field}`, httpError);
}

/** The JSON object of a `<gcm>` payload or request body; throws with the parser's reason otherwise. */
export function parseJsonObject(text: string, maxDepth: number): Json {
  const parsed = parseJson(text, maxDepth);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('the payload is not a JSON object');
  return parsed as Json;
}

/** Refuses a message whose text fields (message_id, to, collapse_key, …) hold a NUL: a permanent error, never retried. */
export function refuseNulFields(json: Json): void {
  const field = nulField(json);
  if (field !== undefined) invalid('INVALID_PARAMETERS', `Field "${field}" contains a NUL character`);
}

export function parseTopic(to: string): string | undefined {
  if (!to.startsWith(TOPIC_PREFIX)) return undefined;
  const name = to.slice(TOPIC_PREFIX.length);
  if (!TOPIC_NAME.test(name)) invalid('INVALID_PARAMETERS', `Invalid topic name: ${to}`, 'InvalidParameters');
  return name;
}

/** A topic name as devices give it (`news` or `/topics/news`), or undefined when malformed. */
export function normalizeTopicName(name: string): string | undefined {
  const bare = name.startsWith(TOPIC_PREFIX) ? name.slice(TOPIC_PREFIX.length) : name;
  return TOPIC_NAME.test(bare) ? bare : undefined;
}

/**
 * Validates the fields of a downstream request (§3) other than `message_id`
 * (checked by the caller: over XMPP its absence is a stanza error, §4.3).
 * `to` may be absent when the caller fans out `registration_ids` itself.
 */
export function validateDownstream(json: Json, messageId: string, options: { requireTarget: boolean } = { requireTarget: true }): DownstreamRequest {
  refuseNulFields(json);
  const to = optional<string>(json, 'to', 'string');
  const conditionText = optional<string>(json, 'condition', 'string');
  if (options.requireTarget && to === undefined && conditionText === undefined) missingField('to', 'MissingRegistration');
  if (to !== undefined && conditionText !== undefined) invalid('INVALID_PARAMETERS', 'Only one of "to" and "condition" may be given', 'InvalidParameters');
  let condition: Condition | undefined;
  if (conditionText !== undefined) {
    try {
      condition = parseCondition(conditionText);
    } catch (error) {
      // A malformed field: the HTTP request as a whole is answered 400 (§7), as a type error is.
      if (error instanceof ConditionError) invalid('INVALID_PARAMETERS', error.message);
      throw error;
    }
  }
  const topic = to === undefined ? undefined : parseTopic(to);
  const priority = optional<string>(json, 'priority', 'string') ?? 'normal';
  if (priority !== 'normal' && priority !== 'high') invalid('INVALID_PARAMETERS', `Invalid value (${priority}) for "priority": must be "normal" or "high"`, 'InvalidParameters');
  const collapseKey = optional<string>(json, 'collapse_key', 'string');
  const request: DownstreamRequest = {
    messageId,
    ...(to !== undefined ? { to } : {}),
    ...(topic !== undefined ? { topic } : {}),
    ...(condition ? { condition } : {}),
    ...(collapseKey !== undefined ? { collapseKey } : {}),
    priority,
    timeToLive: timeToLive(json),
    delayWhileIdle: optional<boolean>(json, 'delay_while_idle', 'boolean') ?? false,
    receiptRequested: optional<boolean>(json, 'delivery_receipt_requested', 'boolean') ?? false,
    dryRun: optional<boolean>(json, 'dry_run', 'boolean') ?? false,
  };
  const contentAvailable = optional<boolean>(json, 'content_available', 'boolean');
  const mutableContent = optional<boolean>(json, 'mutable_content', 'boolean');
  if (contentAvailable !== undefined) request.contentAvailable = contentAvailable;
  if (mutableContent !== undefined) request.mutableContent = mutableContent;
  optional<string>(json, 'restricted_package_name', 'string');
  const data = optionalObject(json, 'data');
  const notification = optionalObject(json, 'notification');
  for (const key of Object.keys(data ?? {})) {
    if (isReservedDataKey(key)) invalid('INVALID_DATA_KEY', `Invalid data key: ${key}`, 'InvalidDataKey');
  }
  const limit = topic !== undefined || condition !== undefined ? MAX_TOPIC_DATA_BYTES : MAX_DATA_BYTES;
  const bytes = payloadBytes(data, notification);
  if (bytes > limit) invalid('MESSAGE_TOO_BIG', `Message too big: ${bytes} bytes of data, the limit is ${limit}`, 'MessageTooBig');
  if (data) request.data = data;
  if (notification) request.notification = notification;
  return request;
}

// ---------------------------------------------------------------------------
// Messages the server emits.

/** §4.1: `from` is the request's `to`. */
export function ackJson(from: string, messageId: string): Json {
  return { from, message_id: messageId, message_type: 'ack' };
}

/** §4.2 */
export function nackJson(from: string | undefined, messageId: string, rejection: Rejection): Json {
  return { message_type: 'nack', message_id: messageId, ...(from !== undefined ? { from } : {}), error: rejection.code, error_description: rejection.description };
}

/** §4.5 */
export const DRAINING_CONTROL: Json = { message_type: 'control', control_type: 'CONNECTION_DRAINING' };

export const RECEIPT_PREFIX = 'dr2:';

/** §4.4: the receipt the app server gets once the device ACKed a message that asked for one. */
export function receiptJson(options: { domain: string; app: string; messageId: string; registrationId: string; sentAt: number }): Json {
  return {
    category: options.app,
    data: {
      message_status: 'MESSAGE_SENT_TO_DEVICE',
      original_message_id: options.messageId,
      device_registration_id: options.registrationId,
      message_sent_timestamp: String(options.sentAt),
    },
    message_id: RECEIPT_PREFIX + options.messageId,
    message_type: 'receipt',
    from: options.domain,
  };
}

/** The text of the stanza error of §4.3 (the original ends it with a newline). */
export function stanzaErrorText(detail: string): string {
  return `InvalidJson: JSON_PARSING_ERROR : ${detail}\n`;
}
