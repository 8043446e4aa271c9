// `ocp connector init|run`: the CUPS connector.
import type { Command } from 'commander';
import { createLogger } from '../log.ts';
import { CONNECTOR_TABLE, connectorConfigFrom, connectorDataDir } from '../connector/options.ts';
import { signedInApi, withCloudOptions } from './client.ts';
import { addOptionTable, valuesFromCommand } from './options.ts';
import { runUntilSignal } from './run-until-signal.ts';
import { readStatus } from '../connector/status.ts';

export function registerConnectorCommands(program: Command): void {
  const connector = program.command('connector').description('put the queues of a CUPS server into the cloud');

  const init = addOptionTable(withCloudOptions(connector.command('init').description('create the connector\'s robot account with your sign-in (`ocp login` or --token)')), CONNECTOR_TABLE, ['data'])
    .action(async (options: { cloud?: string; token?: string }) => {
      const { createIdentity, saveIdentity } = await import('../connector/connector.ts');
      const dataDir = connectorDataDir(valuesFromCommand(init, CONNECTOR_TABLE));
      const { api } = signedInApi(options);
      const identity = await createIdentity(api, api.apiUrl.replace(/\/cloudprint$/, ''));
      saveIdentity(dataDir, identity);
      console.log(`connector robot ${identity.xmppJid} (proxy ${identity.proxy}) saved in ${dataDir}`);
    });

  const run = addOptionTable(connector.command('run').description('keep the cloud in sync with CUPS and print cloud jobs through it'), CONNECTOR_TABLE).action(async () => {
    const config = connectorConfigFrom(valuesFromCommand(run, CONNECTOR_TABLE));
    const { Connector } = await import('../connector/connector.ts');
    const log = createLogger(config.logLevel, 'ocp-connector');
    await runUntilSignal('connector', log, async () => {
      const running = new Connector({ ...config.connector, log });
      await running.start();
      log.info({ printers: Object.fromEntries(running.printerIds()) }, 'connector started');
      return () => running.stop();
    });
  });

  const status = addOptionTable(connector.command('status').description('what the connector on this data directory last found: CUPS reachable, queues, cloud printers (exit 1 if not ok)'), CONNECTOR_TABLE, ['data'])
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      const dataDir = connectorDataDir(valuesFromCommand(status, CONNECTOR_TABLE));
      const found = readStatus(dataDir);
      if (!found) throw new Error(`no connector status in ${dataDir}: the connector has not synced there yet (ocp connector run --data ${dataDir})`);
      if (options.json) console.log(JSON.stringify(found));
      else {
        console.log(`state     ${found.state}${found.error ? ` (${found.error})` : ''}`);
        console.log(`cups      ${found.cups}`);
        console.log(`checked   ${new Date(found.checkedAt).toISOString()}`);
        for (const [queue, id] of Object.entries(found.printers)) console.log(`printer   ${queue} → ${id}`);
      }
      if (found.state !== 'ok') process.exitCode = 1;
    });
}
