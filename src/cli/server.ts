// `ocp server`: runs the whole service until SIGINT/SIGTERM.
import type { Command } from 'commander';
import { createLogger } from '../log.ts';
import { installErrorPolicy } from './error-policy.ts';
import { addOptions, configFromCommand } from './options.ts';

export function registerServerCommands(program: Command): void {
  const command = program.command('server').description('run the cloud print service, the XMPP server and the CCS');
  addOptions(command).action(async () => {
    const config = configFromCommand(command);
    const log = createLogger(config.logLevel);
    installErrorPolicy('server', log);
    // Loaded here, not at the top: the other subcommands should not pay for the whole server.
    const { startServer } = await import('../server/index.ts');
    const server = await startServer(config, log);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      await server.close();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });
}
