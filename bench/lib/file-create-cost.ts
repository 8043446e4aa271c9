// What creating a small file costs in a benchmark's data directory, measured
// the way the document store does it (write a temporary file, rename it).
//
// Why the benchmarks report it: this machine's root file system is ext4
// without a journal, and such ext4 skips every inode freed in the last
// 60 s (360 s while its inode table block is dirty) when it allocates a new
// one, scanning past each of them. Right after a run that deleted thousands
// of files in the same block group (the previous benchmark's clean-up, or a
// test run), a file create costs 0.2–0.3 ms of system time instead of
// ~0.03 ms: a quarter of a print job's server time. Runs about two minutes
// apart are not affected.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { round } from './stats.ts';

/** Microseconds of CPU per 4 KB file created and renamed in `dir` (left in place: deleting them would cause the very cost measured). */
export function fileCreateMicros(dir: string, files = 200): number {
  const target = join(dir, 'file-create-cost');
  mkdirSync(join(target, 'incoming'), { recursive: true });
  const content = Buffer.alloc(4096, 'x');
  const before = process.cpuUsage();
  for (let i = 0; i < files; i++) {
    writeFileSync(join(target, 'incoming', String(i)), content, { flag: 'wx' });
    renameSync(join(target, 'incoming', String(i)), join(target, String(i)));
  }
  const cpu = process.cpuUsage(before);
  return round((cpu.user + cpu.system) / files, 1);
}

/** Says on stderr when file creation is slow enough to skew the figures. */
export function warnIfFileCreateSlow(micros: number): void {
  if (micros > 100) console.error(`note: creating a file costs ${micros} µs here now (files deleted in the last minutes? see docs/performance.md, Benchmarks and the file system); figures are lower than on a quiet file system`);
}
