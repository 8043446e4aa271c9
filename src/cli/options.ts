// Bridges the option table in src/config.ts and commander: every option gets a
// flag, its help shows the environment variable and the default, and only the
// flags the user actually typed override the environment and config file.
import type { Command } from 'commander';
import { resolveOptions, serverConfigFrom, SERVER_OPTIONS, type OptionSpec, type ServerConfig } from '../config.ts';

function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function addOptions(command: Command, specs: readonly OptionSpec[] = SERVER_OPTIONS): Command {
  command.option('--config <file>', 'JSON config file whose keys are the long flag names (env OCP_CONFIG)');
  for (const spec of specs) {
    const env = 'OCP_' + spec.key.toUpperCase().replaceAll('-', '_');
    const shown = spec.default === undefined ? '' : `; default ${spec.default}`;
    command.option(`--${spec.key} <value>`, `${spec.help} (env ${env}${shown})`);
  }
  return command;
}

/** The server configuration for a command whose options came from addOptions. */
export function configFromCommand(command: Command): ServerConfig {
  const opts = command.opts<Record<string, unknown>>();
  const given: Record<string, unknown> = {};
  for (const spec of SERVER_OPTIONS) {
    if (command.getOptionValueSource(camel(spec.key)) === 'cli') given[spec.key] = opts[camel(spec.key)];
  }
  return serverConfigFrom(resolveOptions(SERVER_OPTIONS, given, process.env, opts.config as string | undefined));
}
