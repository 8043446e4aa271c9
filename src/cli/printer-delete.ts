// `ocp printer-delete PRINTER`: /delete (GCP §a) removes the printer, its
// jobs and its robot's credentials; the device hears of it and unregisters
// (Privet §4.1.5). There is no undo, so a terminal is asked first; without
// one (a script), --yes says it was meant.
import type { Command } from 'commander';
import { signedInApi, withCloudOptions } from './client.ts';
import { printJson } from './output.ts';
import { canAsk, confirm } from './prompt.ts';

export function registerPrinterDeleteCommand(program: Command): void {
  withCloudOptions(program.command('printer-delete').description('delete a cloud printer and its jobs (asks first on a terminal)'))
    .argument('<printer>', 'printer id')
    .option('-y, --yes', 'delete without asking')
    .option('--json', 'print {printerId, deleted: true}')
    .action(async (printerId: string, options: { yes?: boolean; cloud?: string; token?: string; json?: boolean }) => {
      const { api } = signedInApi(options);
      if (!options.yes) {
        if (!canAsk()) throw new Error('not a terminal, so nobody can confirm: give --yes to delete without asking');
        const printer = await api.printer(printerId);
        if (!printer) throw new Error(`no printer ${printerId} (or not yours to see)`);
        const name = String(printer.displayName ?? printer.name ?? printerId);
        if (!(await confirm(`Delete printer "${name}" (${printerId}) and all its jobs?`))) {
          console.error('not deleted');
          process.exitCode = 1;
          return;
        }
      }
      await api.delete(printerId);
      if (options.json) return printJson({ printerId, deleted: true });
      console.log(`printer ${printerId} deleted`);
    });
}
