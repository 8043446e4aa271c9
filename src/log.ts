// Structured logs (pino), one JSON line per event. Anything that can carry a
// secret is redacted here, once, so no call site has to remember it.
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED_PATHS = [
  'password',
  'token',
  'access_token',
  'refresh_token',
  'api_key',
  'apiKey',
  'authorization_code',
  'secret',
  '*.password',
  '*.token',
  '*.access_token',
  '*.refresh_token',
  '*.api_key',
  '*.apiKey',
  '*.secret',
  'req.headers.authorization',
  'req.headers["x-privet-token"]',
  'headers.authorization',
];

export function createLogger(level = 'info', name = 'ocp'): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}

/** A logger that drops everything: for tests and embedded use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
