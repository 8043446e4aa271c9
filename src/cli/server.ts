// `ocp server`: runs the whole service until SIGINT/SIGTERM.
import type { Command } from 'commander';
import { createLogger } from '../log.ts';
import { addOptions, configFromCommand } from './options.ts';
import { runUntilSignal } from './run-until-signal.ts';

export function registerServerCommands(program: Command): void {
  const command = program.command('server').description('run the cloud print service, the XMPP server and the CCS');
  addOptions(command).action(async () => {
    const config = configFromCommand(command);
    const log = createLogger(config.logLevel);
    await runUntilSignal('server', log, async () => {
      // Loaded here, not at the top: the other subcommands should not pay for the whole server.
      const { startServer } = await import('../server/index.ts');
      const server = await startServer(config, log);
      return () => server.close();
    });
  });
}
