// Job ids, states and description attributes [RFC 8011 §5.3]: a cloud job
// (CDD JobState, GCP §d) seen as an IPP job, and the IPP
// states a client asks for turned back into cloud states.
import { attr, ipp, type IppAttribute } from './codec.ts';
import type { CloudJobState, IppJob } from './deps.ts';
import { templateFromTicket } from './ticket.ts';

/** job-state [RFC 8011 §5.3.7]. */
export const JobState = { pending: 3, pendingHeld: 4, processing: 5, processingStopped: 6, canceled: 7, aborted: 8, completed: 9 } as const;

const MAX_JOB_ID = 0x7fffffff;

/**
 * The IPP job-id of a cloud job: the first 31 bits of its random UUID, so
 * every job (submitted over IPP or not) has one without a table of its own.
 * Two jobs of a printer share an id with a chance of 1 in 2^31 per pair; the
 * newer one is then the one found.
 */
export function ippJobId(cloudJobId: string): number {
  const bits = parseInt(cloudJobId.slice(0, 8), 16) & MAX_JOB_ID;
  return Number.isNaN(bits) || bits === 0 ? MAX_JOB_ID : bits;
}

/** The UUID prefixes (8 hex digits) whose jobs have `jobId`. */
export function cloudIdPrefixes(jobId: number): string[] {
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  const prefixes = [hex(jobId), hex((jobId | 0x80000000) >>> 0)];
  if (jobId === MAX_JOB_ID) prefixes.push(hex(0), hex(0x80000000));
  return prefixes;
}

/** job-state and job-state-reasons [RFC 8011 §5.3.8; PWG 5100.9] of a cloud JobState. */
export function ippJobState(state: CloudJobState): { state: number; reasons: string[]; message: string } {
  switch (state.type) {
    case 'DRAFT':
    case 'HELD':
      return { state: JobState.pendingHeld, reasons: ['job-hold-until-specified'], message: 'Held' };
    case 'QUEUED':
      return { state: JobState.pending, reasons: ['none'], message: 'Queued in the cloud' };
    case 'IN_PROGRESS':
      return { state: JobState.processing, reasons: ['job-printing'], message: 'Printing' };
    case 'STOPPED': {
      const cause = state.device_state_cause?.error_code;
      const reasons = ['printer-stopped'];
      if (cause === 'INPUT_TRAY') reasons.push('resources-are-not-ready');
      return { state: JobState.processingStopped, reasons, message: `Stopped${cause ? ` (${cause.toLowerCase().replaceAll('_', ' ')})` : ''}` };
    }
    case 'DONE':
      return { state: JobState.completed, reasons: ['job-completed-successfully'], message: 'Printed' };
    case 'ABORTED':
    default: {
      if (state.user_action_cause?.action_code === 'CANCELLED') return { state: JobState.canceled, reasons: ['job-canceled-by-user'], message: 'Canceled' };
      const service = state.service_action_cause?.error_code;
      const reasons = service?.startsWith('CONVERSION') ? ['document-unprintable-error'] : service === 'EXPIRATION' ? ['aborted-by-system'] : ['job-aborted-by-system'];
      return { state: JobState.aborted, reasons, message: `Aborted${service ? ` (${service.toLowerCase().replaceAll('_', ' ')})` : ''}` };
    }
  }
}

/** The cloud state an IPP Cancel-Job / Cancel-My-Jobs moves a job to. */
export const CANCELED: CloudJobState = { type: 'ABORTED', user_action_cause: { action_code: 'CANCELLED' } };

/** Job states a job can no longer leave (RFC 8011 §5.3.7: canceled, aborted, completed). */
export function isFinished(state: number): boolean {
  return state >= JobState.canceled;
}

export interface JobContext {
  printerUri: string;
  /** The console page of the job (job-more-info). */
  moreInfo: string;
  now: number;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export function jobAttributes(job: IppJob, context: JobContext): IppAttribute[] {
  const id = ippJobId(job.id);
  const status = ippJobState(job.state);
  const finished = isFinished(status.state);
  const started = status.state >= JobState.processing && status.state !== JobState.canceled ? seconds(job.updatedAt) : undefined;
  return [
    attr('job-id', ipp.int(id)),
    attr('job-uri', ipp.uri(`${context.printerUri}/${id}`)),
    attr('job-uuid', ipp.uri(`urn:uuid:${job.id}`)),
    attr('job-printer-uri', ipp.uri(context.printerUri)),
    attr('job-more-info', ipp.uri(context.moreInfo)),
    attr('job-name', ipp.name(job.title.slice(0, 255))),
    attr('job-originating-user-name', ipp.name(job.ownerEmail)),
    attr('job-state', ipp.enum(status.state)),
    attr('job-state-reasons', ...status.reasons.map(ipp.keyword)),
    attr('job-state-message', ipp.text(status.message)),
    attr('job-printer-up-time', ipp.int(context.now)),
    attr('time-at-creation', ipp.int(seconds(job.createdAt))),
    attr('time-at-processing', started !== undefined ? ipp.int(started) : ipp.noValue()),
    attr('time-at-completed', finished ? ipp.int(seconds(job.updatedAt)) : ipp.noValue()),
    attr('date-time-at-creation', ipp.date(new Date(job.createdAt))),
    attr('date-time-at-processing', started !== undefined ? ipp.date(new Date(started * 1000)) : ipp.noValue()),
    attr('date-time-at-completed', finished ? ipp.date(new Date(job.updatedAt)) : ipp.noValue()),
    attr('job-k-octets', ipp.int(Math.ceil(job.documentSize / 1024))),
    attr('job-impressions-completed', ipp.int(job.pagesPrinted)),
    attr('job-media-sheets-completed', ipp.int(job.pagesPrinted)),
    attr('document-format', ipp.mime(job.contentType)),
    attr('number-of-documents', ipp.int(1)),
    ...templateFromTicket(job.ticket),
  ];
}
