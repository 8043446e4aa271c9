// How a long-running command (`ocp server`, `printer`, `connector`) runs: under
// the error policy (error-policy.ts), from start until SIGINT or SIGTERM. The
// first signal stops the service once and the process exits 0 when it has
// stopped (status 70 if stopping failed); further signals meanwhile are logged
// and change nothing, so a second Ctrl-C cannot cut a shutdown short (SIGKILL
// still ends a stuck one). A signal that comes while the service is starting
// stops it as soon as it has started.
import { exitAfterLogs, type Logger } from '../log.ts';
import { FATAL_EXIT_CODE, installErrorPolicy } from './error-policy.ts';

/** Stops a started service. */
export type Stop = () => Promise<void>;

/** Runs the service `start` starts; resolves once it has started, rejects if starting failed. */
export async function runUntilSignal(command: string, log: Logger, start: () => Promise<Stop>): Promise<void> {
  installErrorPolicy(command, log);
  const started = start();
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    started.then((stop) => stop()).then(
      () => exitAfterLogs(log, 0),
      (error: unknown) => exitAfterLogs(log, FATAL_EXIT_CODE, { details: { err: error, command }, message: 'shutdown failed' }),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await started;
}
