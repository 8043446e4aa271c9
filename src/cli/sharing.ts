// `ocp share PRINTER EMAIL --role …` and `ocp unshare PRINTER EMAIL`:
// /share and /unshare (GCP §a). Sharing needs the MANAGER role on the
// printer, and the OWNER role to give OWNER; anyone may unshare themselves.
import { Option, type Command } from 'commander';
import { signedInApi, withCloudOptions } from './client.ts';
import { printJson } from './output.ts';

const ROLES = ['USER', 'MANAGER', 'OWNER'];

export function registerSharingCommands(program: Command): void {
  withCloudOptions(program.command('share').description('share a printer with someone, by email'))
    .argument('<printer>', 'printer id')
    .argument('<email>', 'who may use it')
    .addOption(new Option('--role <role>', 'USER prints, MANAGER also shares and manages, OWNER also deletes').choices(ROLES).default('USER'))
    .option('--json', 'print {printerId, email, role}')
    .action(async (printerId: string, email: string, options: { role: string; cloud?: string; token?: string; json?: boolean }) => {
      const reply = await signedInApi(options).api.call('share', { printerid: printerId, scope: email, role: options.role });
      if (options.json) return printJson({ printerId, email, role: options.role });
      console.log(reply.message ?? `shared ${printerId} with ${email} as ${options.role}`);
    });

  withCloudOptions(program.command('unshare').description('stop sharing a printer with someone'))
    .argument('<printer>', 'printer id')
    .argument('<email>', 'whose access ends')
    .option('--json', 'print {printerId, email, role: null}')
    .action(async (printerId: string, email: string, options: { cloud?: string; token?: string; json?: boolean }) => {
      await signedInApi(options).api.call('unshare', { printerid: printerId, scope: email });
      if (options.json) return printJson({ printerId, email, role: null });
      console.log(`${printerId} is no longer shared with ${email}`);
    });
}
