// `ocp backup DEST` (while the server runs) and `ocp restore SRC` (into an
// empty data directory, with no server on it): SQLite deployments.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { addOptions, configFromCommand } from './options.ts';

export function registerBackupCommands(program: Command): void {
  const backup = addOptions(program.command('backup').description('copy the database, documents and TLS material to a new directory, while the server runs (SQLite)').argument('<dest>'));
  backup.action(async (dest: string) => {
    const { backup: run } = await import('../server/backup.ts');
    const manifest = await run(configFromCommand(backup), resolve(dest));
    const gone = manifest.documentsGone ? `, ${manifest.documentsGone} document(s) deleted meanwhile` : '';
    console.log(`backed up ${manifest.jobs} job(s) and ${manifest.documents} document(s) to ${resolve(dest)}${gone}`);
  });

  const restore = addOptions(program.command('restore').description('restore a backup made by ocp backup into an empty data directory (SQLite; the server stopped)').argument('<src>'));
  restore.action(async (src: string) => {
    const { restore: run } = await import('../server/backup.ts');
    const config = configFromCommand(restore);
    const manifest = run(config, resolve(src));
    console.log(`restored the backup of ${manifest.createdAt} (${manifest.jobs} job(s), ${manifest.documents} document(s)) into ${config.dataDir}`);
  });
}
