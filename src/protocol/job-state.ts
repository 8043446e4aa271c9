// CDD JobState (GCP §d): the cloud, the printer, the connector and the clients share it.
export const JOB_STATE_ENUMS = {
  jobStateType: ['DRAFT', 'HELD', 'QUEUED', 'IN_PROGRESS', 'STOPPED', 'DONE', 'ABORTED'],
  userAction: ['CANCELLED', 'PAUSED', 'OTHER'],
  deviceState: ['INPUT_TRAY', 'MARKER', 'MEDIA_PATH', 'MEDIA_SIZE', 'MEDIA_TYPE', 'OTHER'],
  deviceAction: ['DOWNLOAD_FAILURE', 'INVALID_TICKET', 'PRINT_FAILURE', 'OTHER'],
  serviceAction: [
    'COMMUNICATION_WITH_DEVICE_ERROR', 'CONVERSION_ERROR', 'CONVERSION_FILE_TOO_BIG', 'CONVERSION_UNSUPPORTED_CONTENT_TYPE',
    'DELIVERY_FAILURE', 'EXPIRATION', 'FETCH_DOCUMENT_FORBIDDEN', 'FETCH_DOCUMENT_NOT_FOUND', 'GOOGLE_DRIVE_QUOTA',
    'INCONSISTENT_JOB', 'INCONSISTENT_PRINTER', 'PRINTER_DELETED', 'REMOTE_JOB_NO_LONGER_EXISTS', 'REMOTE_JOB_ERROR',
    'REMOTE_JOB_TIMEOUT', 'REMOTE_JOB_ABORTED', 'OTHER',
  ],
} as const;

type Enum<K extends keyof typeof JOB_STATE_ENUMS> = (typeof JOB_STATE_ENUMS)[K][number];

export interface JobState {
  type: Enum<'jobStateType'>;
  user_action_cause?: { action_code: Enum<'userAction'> };
  device_state_cause?: { error_code: Enum<'deviceState'> };
  device_action_cause?: { error_code: Enum<'deviceAction'> };
  service_action_cause?: { error_code: Enum<'serviceAction'> };
}

/** DONE and ABORTED end a job (GCP §d): nothing moves it on from them. */
export const FINAL_STATES = ['DONE', 'ABORTED'] as const satisfies ReadonlyArray<Enum<'jobStateType'>>;

export function isFinal(type: string): boolean {
  return (FINAL_STATES as readonly string[]).includes(type);
}

export interface PrintJobStateDiff {
  state?: JobState;
  pages_printed?: number;
}
