// Bridges an option table (src/config.ts and its kind) and commander: every
// option gets a flag, its help shows the environment variable and the default,
// and only the flags the user actually typed override the environment and
// config file.
import type { Command } from 'commander';
import { envName, resolveOptions, serverConfigFrom, SERVER_TABLE, type OptionTable, type OptionValues, type ServerConfig } from '../config.ts';

function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Adds `--config` and a flag for each option of `table` to `command`; `keys`
 * limits the flags to those options (a subcommand that needs only `data`).
 * A yes/no option gets `--key` and `--no-key`.
 */
export function addOptionTable(command: Command, table: OptionTable, keys?: readonly string[]): Command {
  command.option('--config <file>', `JSON config file whose keys are the long flag names (env ${envName('config', table.envPrefix)})`);
  for (const spec of table.options) {
    if (keys && !keys.includes(spec.key)) continue;
    const shown = spec.default === undefined ? '' : `; default ${spec.default}`;
    const help = `${spec.help} (env ${envName(spec.key, table.envPrefix)}${shown})`;
    if (spec.type === 'bool') command.option(`--${spec.key}`, help).option(`--no-${spec.key}`, `the opposite of --${spec.key}`);
    else command.option(`--${spec.key} <value>`, help);
  }
  return command;
}

/** The values of `table` for a command whose flags came from addOptionTable: flags, environment, config file, defaults. */
export function valuesFromCommand(command: Command, table: OptionTable): OptionValues {
  const opts = command.opts<Record<string, unknown>>();
  const given: Record<string, unknown> = {};
  for (const spec of table.options) {
    if (command.getOptionValueSource(camel(spec.key)) === 'cli') given[spec.key] = opts[camel(spec.key)];
  }
  return resolveOptions(table.options, given, process.env, opts.config as string | undefined, table.envPrefix);
}

/** Adds the server's options to `command`. */
export function addOptions(command: Command): Command {
  return addOptionTable(command, SERVER_TABLE);
}

/** The server options an admin command that opens the store reads: `ocp user`, `token` and `sender` show only these. */
export const STORE_OPTION_KEYS = ['data', 'database', 'sync', 'access-token-ttl'] as const;

/** The server configuration for a command whose options came from addOptions. */
export function configFromCommand(command: Command): ServerConfig {
  return serverConfigFrom(valuesFromCommand(command, SERVER_TABLE));
}
