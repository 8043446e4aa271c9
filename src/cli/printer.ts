// `ocp printer`: runs one virtual Privet printer until SIGINT/SIGTERM;
// `ocp printer reset`: factory reset (credentials and settings cleared).
import type { Command } from 'commander';
import { createLogger } from '../log.ts';
import { Printer } from '../privet/printer.ts';
import { StateFile } from '../privet/state.ts';
import { attachConsolePanel } from '../privet/panel-server.ts';
import { PRINTER_TABLE, printerConfigFrom, printerDataDir } from '../privet/options.ts';
import { addOptionTable, valuesFromCommand } from './options.ts';
import { runUntilSignal } from './run-until-signal.ts';

export function registerPrinterCommands(program: Command): void {
  const printer = addOptionTable(program.command('printer').description('run a virtual Privet printer (mDNS, local API, cloud registration, printing)'), PRINTER_TABLE).action(async () => {
    const config = printerConfigFrom(valuesFromCommand(printer, PRINTER_TABLE));
    const log = createLogger(config.logLevel, 'ocp-printer');
    await runUntilSignal('printer', log, async () => {
      const device = new Printer({ ...config.printer, log });
      await device.start();
      const closeConsole = config.console && process.stdin.isTTY ? attachConsolePanel(device.panel, process.stdin, process.stdout) : () => {};
      return async () => {
        closeConsole();
        await device.stop();
      };
    });
  });

  // Commander hands the options of `printer` to it wherever they stand, so
  // `ocp printer reset --data DIR` sets the parent's --data: reset reads it there.
  printer
    .command('reset')
    .description('factory reset: clear the credentials and settings, back to out-of-the-box mode (takes --data and --config)')
    .action(() => {
      const dataDir = printerDataDir(valuesFromCommand(printer, PRINTER_TABLE));
      new StateFile(dataDir).factoryReset();
      console.log(`printer in ${dataDir} reset to out-of-the-box mode`);
    });
}
