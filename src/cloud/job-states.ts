// The job state machine [GCP §d]: QUEUED → IN_PROGRESS →
// DONE | ABORTED, with STOPPED and HELD on the way. DONE and ABORTED are
// final. Repeating the current state is allowed (a retried `control`); a
// final job takes only the very same report again (see changeJobState).
import { CloudError } from './errors.ts';
import type { JobState } from '../protocol/job-state.ts';

const NEXT: Record<string, readonly string[]> = {
  DRAFT: ['QUEUED', 'ABORTED'],
  HELD: ['QUEUED', 'ABORTED'],
  QUEUED: ['IN_PROGRESS', 'HELD', 'STOPPED', 'DONE', 'ABORTED'],
  IN_PROGRESS: ['STOPPED', 'DONE', 'ABORTED'],
  STOPPED: ['IN_PROGRESS', 'DONE', 'ABORTED'],
  DONE: [],
  ABORTED: [],
};

export function checkTransition(from: string, to: string): void {
  if (from === to) return;
  if (!NEXT[from]?.includes(to)) {
    const allowed = NEXT[from]?.length ? `; from ${from} it can go to ${NEXT[from]!.join(', ')}` : `; ${from} is final`;
    throw new CloudError('ILLEGAL_TRANSITION', `A job cannot go from ${from} to ${to}${allowed}`);
  }
}

/** The legacy `status` of a job (QUEUED, IN_PROGRESS, DONE, ERROR) that older clients read. */
export function legacyStatus(type: string): string {
  if (type === 'IN_PROGRESS' || type === 'STOPPED') return 'IN_PROGRESS';
  if (type === 'DONE') return 'DONE';
  if (type === 'ABORTED') return 'ERROR';
  return 'QUEUED';
}

/** The state a legacy `control?status=` asks for [P:cloud_print_requester.cc]. */
export function stateFromLegacy(status: string): JobState {
  const type = status.toUpperCase();
  switch (type) {
    case 'QUEUED':
    case 'IN_PROGRESS':
    case 'DONE':
      return { type };
    case 'ERROR':
      return { type: 'ABORTED', device_action_cause: { error_code: 'OTHER' } };
    default:
      throw new CloudError('INVALID_PARAMETER', `Parameter status must be QUEUED, IN_PROGRESS, DONE or ERROR, got "${status}"`);
  }
}
