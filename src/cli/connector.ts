// `ocp connector init|run`: the CUPS connector.
import type { Command } from 'commander';
import { createLogger } from '../log.ts';
import { installErrorPolicy } from './error-policy.ts';
import { signedInApi, withCloudOptions } from './client.ts';

export function registerConnectorCommands(program: Command): void {
  const connector = program.command('connector').description('put the queues of a CUPS server into the cloud');

  withCloudOptions(connector.command('init').description('create the connector\'s robot account with your sign-in (`ocp login` or --token)'))
    .option('--data <dir>', 'connector state directory', './connector-data')
    .action(async (options: { cloud?: string; token?: string; data: string }) => {
      const { createIdentity, saveIdentity } = await import('../connector/connector.ts');
      const { api } = signedInApi(options);
      const identity = await createIdentity(api, api.apiUrl.replace(/\/cloudprint$/, ''));
      saveIdentity(options.data, identity);
      console.log(`connector robot ${identity.xmppJid} (proxy ${identity.proxy}) saved in ${options.data}`);
    });

  connector
    .command('run')
    .description('keep the cloud in sync with CUPS and print cloud jobs through it')
    .option('--data <dir>', 'connector state directory', './connector-data')
    .option('--cups <host:port>', 'CUPS server', '127.0.0.1:631')
    .option('--xmpp <url>', 'XMPP push channel, xmpps://host:port (default: the cloud host, port 5223)')
    .option('--ca <file>', 'PEM CA certificate to trust for the XMPP server (e.g. the server DATA/tls/ca.pem)')
    .option('--sync-interval <seconds>', 'how often CUPS queues are compared with the cloud', '60')
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (options: { data: string; cups: string; xmpp?: string; ca?: string; syncInterval: string; logLevel: string }) => {
      const { Connector } = await import('../connector/connector.ts');
      const log = createLogger(options.logLevel, 'ocp-connector');
      installErrorPolicy('connector', log);
      const running = new Connector({
        dataDir: options.data,
        cups: options.cups,
        xmppUrl: options.xmpp,
        caFile: options.ca,
        log,
        syncIntervalMs: Number(options.syncInterval) * 1000,
      });
      await running.start();
      log.info({ printers: Object.fromEntries(running.printerIds()) }, 'connector started');
      const stop = () => void running.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
