// Structured logs (pino). On a terminal the lines are pretty-printed for
// people (pino-pretty, loaded only then, in pino's worker thread); otherwise
// one JSON line per event, for journald, docker logs and log shippers.
// Anything that can carry a secret is redacted here, once, so no call site
// has to remember it.
import { pino, type DestinationStream, type Logger } from 'pino';

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

export interface LoggerOptions {
  /** Where the JSON lines go (tests); default: stdout, pretty when it is a terminal. */
  destination?: DestinationStream;
}

export function createLogger(level = 'info', name = 'ocp', options: LoggerOptions = {}): Logger {
  const settings = { name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  if (options.destination) return pino(settings, options.destination);
  if (process.stdout.isTTY) return pino(settings, pino.transport({ target: 'pino-pretty', options: { destination: 1, translateTime: 'SYS:HH:MM:ss.l' } }));
  return pino(settings);
}

/**
 * Ends the process once every line `log` has taken is written. pino writes
 * to stdout asynchronously, and process.exit() during a pending write would
 * lose that line or let a later one overtake it (the exit handler writes the
 * rest synchronously). A destination that cannot be flushed (a closed pipe)
 * does not hold the exit up beyond `graceMs`.
 */
export function exitAfterLogs(log: Logger, code: number, graceMs = 2000): void {
  process.exitCode = code;
  const exit = () => process.exit(code);
  setTimeout(exit, graceMs).unref();
  try {
    log.flush(exit);
  } catch {
    exit();
  }
}

/** A logger that drops everything: for tests and embedded use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
