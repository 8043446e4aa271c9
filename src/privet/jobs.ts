// Privet §5: the printer's job queue. Pending jobs (created by createjob, or
// implicitly by simple-printing submitdoc) wait in a small queue; finished
// jobs keep their state for jobstate. Cloud jobs share the same records so
// that one print engine serves both.
import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';
import { isFinal as isFinalState, type JobState } from '../protocol/job-state.ts';
import type { PrintSettings } from './ticket.ts';


export interface JobRecord {
  /** Privet job id (local jobs) or cloud job id (cloud jobs). */
  id: string;
  origin: 'local' | 'cloud';
  createdAt: number;
  /** When the record may be forgotten (ms). */
  expiresAt: number;
  finishedAt?: number;
  startedAt?: number;
  state: JobState;
  /** Human-readable reason for STOPPED/ABORTED (§5.3.2 description). */
  description?: string;
  pagesPrinted?: number;
  ticket?: unknown;
  /** What the ticket chose, or the CDD's defaults: the settings the job prints with. */
  settings?: PrintSettings;
  contentType?: string;
  size?: number;
  name?: string;
  user?: string;
  client?: string;
  /** Id of the job in the cloud, once reported there. */
  serverJobId?: string;
  /** Where the printed document landed (output dir or CUPS job URI). */
  output?: string;
}

export interface JobQueueLimits {
  /** §5: "a small queue of pending print jobs (at least 3-5)". */
  pendingCapacity: number;
  /** §5: "Job lifetime (in the queue) is at least 5 minutes". */
  pendingLifetimeMs: number;
  /** §5: "The queue size for storing completed job statuses should be at least 10". */
  finishedCapacity: number;
  /** §5: "store information about the job's status for at least 5 minutes". */
  finishedLifetimeMs: number;
}

export const DEFAULT_JOB_LIMITS: JobQueueLimits = {
  pendingCapacity: 5,
  pendingLifetimeMs: 10 * 60_000,
  finishedCapacity: 20,
  finishedLifetimeMs: 10 * 60_000,
};

const JOB_ID_BYTES = 16;

export function isFinal(job: JobRecord): boolean {
  return isFinalState(job.state.type);
}

export class JobQueue {
  private readonly pending = new Map<string, JobRecord>();
  private readonly finished = new Map<string, JobRecord>();

  constructor(
    private readonly clock: Clock,
    readonly limits: JobQueueLimits = DEFAULT_JOB_LIMITS,
    history: JobRecord[] = [],
    /** Told whenever the finished list changes, to persist it. */
    private readonly onFinishedChange: (finished: JobRecord[]) => void = () => {},
  ) {
    for (const job of history) this.finished.set(job.id, job);
  }

  /**
   * A job id is the only thing jobstate asks for (§5.3), so it must not be
   * guessable from a neighbour's: 128 random bits, base64url (22 characters).
   */
  private nextId(): string {
    return randomBytes(JOB_ID_BYTES).toString('base64url');
  }

  /** §5: createjob takes the first free spot; when full, the oldest non-printing job is evicted. */
  create(fields: Partial<JobRecord> & Pick<JobRecord, 'state'>, origin: JobRecord['origin'] = 'local'): JobRecord {
    this.expire();
    if (origin === 'local') {
      const local = [...this.pending.values()].filter((job) => job.origin === 'local');
      if (local.length >= this.limits.pendingCapacity) {
        const victim = local.find((job) => job.state.type !== 'IN_PROGRESS' && job.state.type !== 'STOPPED');
        if (victim) this.pending.delete(victim.id);
      }
    }
    const now = this.clock.now();
    const job: JobRecord = { id: this.nextId(), origin, createdAt: now, expiresAt: now + this.limits.pendingLifetimeMs, ...fields };
    this.pending.set(job.id, job);
    return job;
  }

  /** A job that is pending, printing or finished and not yet expired. */
  get(id: string): JobRecord | undefined {
    this.expire();
    return this.pending.get(id) ?? this.finished.get(id);
  }

  active(): JobRecord[] {
    return [...this.pending.values()].filter((job) => job.state.type === 'IN_PROGRESS' || job.state.type === 'STOPPED');
  }

  /** Moves a job to the finished list with its final state. */
  finish(job: JobRecord, state: JobState, description?: string): void {
    const now = this.clock.now();
    Object.assign(job, { state, description, finishedAt: now, expiresAt: now + this.limits.finishedLifetimeMs });
    this.pending.delete(job.id);
    this.finished.set(job.id, job);
    this.trimFinished();
    this.onFinishedChange([...this.finished.values()]);
  }

  expiresInSeconds(job: JobRecord): number {
    return Math.max(0, Math.round((job.expiresAt - this.clock.now()) / 1000));
  }

  private expire(): void {
    const now = this.clock.now();
    for (const [id, job] of this.pending) {
      // A job being printed is never expired from under the print engine.
      if (job.expiresAt <= now && job.state.type !== 'IN_PROGRESS' && job.state.type !== 'STOPPED') this.pending.delete(id);
    }
    let changed = false;
    for (const [id, job] of this.finished) {
      if (job.expiresAt <= now) {
        this.finished.delete(id);
        changed = true;
      }
    }
    if (changed) this.onFinishedChange([...this.finished.values()]);
  }

  private trimFinished(): void {
    while (this.finished.size > this.limits.finishedCapacity) {
      const oldest = this.finished.keys().next().value as string;
      this.finished.delete(oldest);
    }
  }
}
