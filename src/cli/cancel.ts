// `ocp cancel JOB`: a job's owner cancels it the way GCP clients did, with
// /control setting it ABORTED for the user action CANCELLED (GCP §d); the
// printer hears of it at its next fetch or state report.
import type { Command } from 'commander';
import { signedInApi, withCloudOptions } from './client.ts';
import { printJson } from './output.ts';

export function registerCancelCommand(program: Command): void {
  withCloudOptions(program.command('cancel').description('cancel a print job (it ends ABORTED, cancelled by you)'))
    .argument('<job>', 'job id (see `ocp jobs`)')
    .option('--json', 'print {job: {id, state, cause}}')
    .action(async (jobId: string, options: { cloud?: string; token?: string; json?: boolean }) => {
      const { api } = signedInApi(options);
      await api.control(jobId, { state: { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } } });
      if (options.json) return printJson({ job: { id: jobId, state: 'ABORTED', cause: 'cancelled by a user' } });
      console.log(`job ${jobId} cancelled`);
    });
}
