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

/** The line a process ends with (exitAfterLogs), at fatal level. */
export interface LastWords {
  details: Record<string, unknown>;
  message: string;
}

/**
 * Ends the process once every line `log` has taken is written, `lastWords`
 * last. pino writes to stdout asynchronously, one write at a time on the
 * thread pool, but a fatal line at once (flushSync), and so does its exit
 * handler with whatever is still buffered: done while a write is in flight,
 * both overtake it, or cut into it. So the process waits until no write is
 * in flight (the destination's 'drain'), then logs the fatal line and exits.
 * A destination that never drains (a pipe nobody reads) holds the exit up
 * for `graceMs` at most.
 */
export function exitAfterLogs(log: Logger, code: number, lastWords?: LastWords, graceMs = 2000): void {
  process.exitCode = code;
  let exiting = false;
  const exit = () => {
    if (exiting) return;
    exiting = true;
    if (lastWords) log.fatal(lastWords.details, lastWords.message);
    process.exit(code);
  };
  setTimeout(exit, graceMs).unref();
  // sonic-boom, pino's stdout destination, says whether a write is in flight
  // only in this field; a destination without it (the pretty-printing
  // transport on a terminal) writes in order by itself.
  const destination = (log as unknown as Record<symbol, { _writing?: boolean; once(event: 'drain', listener: () => void): void }>)[pino.symbols.streamSym];
  if (destination?._writing === true) destination.once('drain', exit);
  else exit();
}

/** A logger that drops everything: for tests and embedded use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
