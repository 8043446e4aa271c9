// What a long-running command (`ocp server`, `printer`, `connector`) does with
// an error nothing caught: it is a bug, logged with what is known about it,
// and the process goes on serving everything the error did not belong to
// (one request, one job, one connection). Only an error that leaves the
// process unable to do its work, a listener that failed, ends it, with a
// non-zero status so that its supervisor restarts it.
import { exitAfterLogs, type Logger } from '../log.ts';

/** Exit status of a process ended by an error it cannot go on after (sysexits EX_SOFTWARE). */
export const FATAL_EXIT_CODE = 70;

/** Errors after which the command cannot serve: a listening socket that failed. */
export function isFatal(error: unknown): boolean {
  const { syscall } = (error ?? {}) as { syscall?: unknown };
  return syscall === 'listen' || syscall === 'bind';
}

export function installErrorPolicy(command: string, log: Logger): void {
  const handle = (kind: 'uncaught exception' | 'unhandled rejection') => (error: unknown) => {
    if (isFatal(error)) {
      exitAfterLogs(log, FATAL_EXIT_CODE, { details: { err: error, command, kind }, message: 'cannot go on: exiting' });
      return;
    }
    log.error({ err: error, command, kind }, 'unexpected error (a bug): what it belonged to failed; everything else goes on');
  };
  process.on('uncaughtException', handle('uncaught exception'));
  process.on('unhandledRejection', handle('unhandled rejection'));
}
