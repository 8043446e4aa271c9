// Small statistics helpers for benchmark figures.
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Milliseconds of CPU per job or per request, from CPU seconds over a count. */
export const cpuMsPer = (seconds: number, count: number) => round((seconds * 1000) / Math.max(1, count), 3);

/** CPU seconds (user + system) this process has used since `before` (a process.cpuUsage() reading). */
export const cpuSecondsSince = (before: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
};

/** Wall-clock milliseconds comparable across processes of this machine, sub-millisecond. */
export const nowMs = () => performance.timeOrigin + performance.now();
