// The `ocp` command line: one binary, one subcommand per job.
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config.ts';
import { VERSION } from '../version.ts';
import { registerServerCommands } from './server.ts';
import { registerAccountCommands } from './accounts.ts';
import { registerPrinterCommands } from './printer.ts';
import { registerClientCommands } from './client.ts';
import { registerConnectorCommands } from './connector.ts';
import { registerCcsCommands } from './ccs.ts';
import { registerOpsCommands } from './ops.ts';
import { registerBackupCommands } from './backup.ts';
import { registerLogoutCommand } from './logout.ts';
import { registerCancelCommand } from './cancel.ts';
import { registerSharingCommands } from './sharing.ts';
import { registerPrinterDeleteCommand } from './printer-delete.ts';
import { errorLine } from './output.ts';

const program = new Command('ocp')
  .description('OpenCloudPrint: self-hosted cloud print, XMPP push and Cloud Connection Server')
  .version(VERSION, '-V, --version', 'print the version of ocp')
  .showHelpAfterError()
  .exitOverride();

registerServerCommands(program);
registerAccountCommands(program);
registerPrinterCommands(program);
registerClientCommands(program);
registerConnectorCommands(program);
registerCcsCommands(program);
registerOpsCommands(program);
registerBackupCommands(program);
registerLogoutCommand(program);
registerCancelCommand(program);
registerSharingCommands(program);
registerPrinterDeleteCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof ConfigError) {
    console.error(errorLine(error));
    process.exit(2);
  }
  console.error(errorLine(error));
  process.exit(1);
}
