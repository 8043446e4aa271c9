// Finds the migrations in this folder: files named NNNN_description.ts, run in
// name order. Adding a capability's tables is adding a file here.
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Migration, MigrationProvider } from 'kysely';

const here = dirname(fileURLToPath(import.meta.url));

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    const migrations: Record<string, Migration> = {};
    const files = readdirSync(here)
      .filter((name) => /^\d{4}_[\w-]+\.ts$/.test(name))
      .sort();
    for (const file of files) {
      migrations[file.replace(/\.ts$/, '')] = (await import(pathToFileURL(`${here}/${file}`).href)) as Migration;
    }
    return migrations;
  },
};
