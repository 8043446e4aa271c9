// The shapes `ocp … --json` prints. They are the command line's contract with
// scripts: named here once, in camelCase, every field always present (null
// when unknown), and held by test/cli/json-shapes.test.ts. The server's
// replies (GCP §a) carry more, and may grow; these do not change silently.

export interface PrinterJson {
  id: string;
  name: string;
  /** ONLINE, OFFLINE, … (the device's cloud_connection_state, GCP §a). */
  connection: string;
  /** IDLE, PROCESSING or STOPPED (CDS printer.state). */
  state: string;
  queuedJobs: number | null;
  /** The owner's email. */
  owner: string;
}

export interface JobJson {
  id: string;
  title: string;
  printerId: string;
  printerName: string;
  /** QUEUED, IN_PROGRESS, DONE, ABORTED, HELD, STOPPED (CJS job state). */
  state: string;
  /** Why the job stopped or was aborted, in words; null when it did not. */
  cause: string | null;
  pagesPrinted: number | null;
  createTime: string;
  updateTime: string;
}

export interface ShareJson {
  printerId: string;
  email: string;
  /** USER, MANAGER or OWNER; null after unshare. */
  role: string | null;
}

type Reply = Record<string, unknown>;

const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value));
const count = (value: unknown): number | null => (typeof value === 'number' ? value : value === undefined || value === null || value === '' ? null : Number(value));

export function printerJson(printer: Reply): PrinterJson {
  const semantic = printer.semanticState as { printer?: { state?: string } } | undefined;
  return {
    id: text(printer.id),
    name: text(printer.displayName ?? printer.name),
    connection: text(printer.connectionStatus) || 'UNKNOWN',
    state: semantic?.printer?.state ?? 'IDLE',
    queuedJobs: count(printer.queuedJobsCount),
    owner: text(printer.ownerId),
  };
}

interface JobStateShape {
  type?: string;
  user_action_cause?: { action_code?: string };
  device_state_cause?: { error_code?: string };
  device_action_cause?: { error_code?: string };
  service_action_cause?: { error_code?: string };
}

/** A job state's cause in words, e.g. "cancelled by a user", "the device: PAPER_JAM" (CJS JobState causes). */
export function causeOf(state: JobStateShape | undefined): string | null {
  if (!state) return null;
  const userAction = state.user_action_cause?.action_code;
  if (userAction === 'CANCELLED') return 'cancelled by a user';
  if (userAction) return `user action ${userAction}`;
  const device = state.device_state_cause?.error_code ?? state.device_action_cause?.error_code;
  if (device) return `the printer reported ${device}`;
  const service = state.service_action_cause?.error_code;
  if (service) return `the service reported ${service}`;
  return null;
}

export function jobJson(job: Reply): JobJson {
  const state = (job.semanticState as { state?: JobStateShape } | undefined)?.state;
  return {
    id: text(job.id),
    title: text(job.title),
    printerId: text(job.printerid),
    printerName: text(job.printerName),
    state: state?.type ?? text(job.status),
    cause: causeOf(state),
    pagesPrinted: count(job.numberOfPages),
    createTime: text(job.createTime),
    updateTime: text(job.updateTime),
  };
}
