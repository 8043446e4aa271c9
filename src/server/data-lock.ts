// One server per data directory: DATA/server.lock names the process that
// holds it. The file is made whole and linked into place (link fails if the
// name exists), so a second server cannot take it too. A lock whose process
// is gone (kill -9, a crash, a reboot) is stale and taken over: the file
// records the process id with the kernel's boot id and the process start
// time, so neither a reused process id nor a new container (another host
// name, pid 1 again) on the same volume is blocked by it.
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'server.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id, where there is one. */
  boot?: string;
  /** Field 22 of /proc/PID/stat (start time in clock ticks since boot), where there is one. */
  start?: string;
  since: string;
}

export class DataDirInUse extends Error {}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function processStart(pid: number): string | undefined {
  const stat = readOrUndefined(`/proc/${pid}/stat`);
  // The command name (field 2) is parenthesised and may hold spaces: count from after it.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function thisProcess(): LockHolder {
  return { pid: process.pid, host: hostname(), boot: readOrUndefined('/proc/sys/kernel/random/boot_id'), start: processStart(process.pid), since: new Date().toISOString() };
}

/**
 * Whether the process that wrote `holder` may still be running. On the same
 * running kernel (same boot id: this machine, whichever container or host
 * name) a process is its pid and start time. A lock from this host name but
 * another boot is from before a reboot. A lock from another boot and
 * another host name is another machine's (a shared file system): it cannot
 * be checked, so it holds.
 */
function holderAlive(holder: LockHolder): boolean {
  const self = thisProcess();
  const sameKernel = holder.boot !== undefined && holder.boot === self.boot;
  if (!sameKernel) {
    if (holder.host !== self.host) return true;
    if (holder.boot && self.boot) return false;
  }
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const start = processStart(holder.pid);
  return !(holder.start && start && holder.start !== start);
}

function readHolder(file: string): LockHolder | undefined {
  const text = readOrUndefined(file);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as LockHolder;
  } catch {
    // Not written by this code (the file is linked in whole): treat as held by nobody.
    return { pid: 0, host: hostname(), since: 'unknown' };
  }
}

/** The live process holding DATA's lock, if any. */
export function runningHolder(dataDir: string): LockHolder | undefined {
  const holder = readHolder(join(dataDir, LOCK_FILE));
  return holder && holderAlive(holder) ? holder : undefined;
}

export interface DataDirLock {
  /** Removes the lock file if it is still ours. */
  release(): void;
}

/** Takes DATA/server.lock or throws DataDirInUse naming the process that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  const me = thisProcess();
  const text = JSON.stringify(me) + '\n';
  const draft = `${file}.${process.pid}.tmp`;
  writeFileSync(draft, text, { mode: 0o644 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(draft, file);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw error;
      }
      const holder = readHolder(file);
      if (holder && holderAlive(holder)) {
        const where = holder.host === hostname() ? '' : ` If no server runs on ${holder.host} any more, remove ${file}.`;
        throw new DataDirInUse(
          `data directory ${dataDir} is in use by another ocp server (pid ${holder.pid} on ${holder.host}, since ${holder.since}): stop it first, or give this one another --data.${where}`,
        );
      }
      try {
        unlinkSync(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  } finally {
    unlinkSync(draft);
  }
  return {
    release() {
      if (readOrUndefined(file) === text.trim()) unlinkSync(file);
    },
  };
}
