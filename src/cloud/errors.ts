// The errors of the /cloudprint interface: each has a stable errorCode and an
// HTTP status. Clients (the Go connector) treat HTTP 200 + success:false and
// every 4xx as permanent and retry only 5xx [GCP §a].

export const CLOUD_ERRORS = {
  MISSING_PARAMETER: { errorCode: 1, status: 400 },
  INVALID_PARAMETER: { errorCode: 2, status: 400 },
  INVALID_JSON: { errorCode: 3, status: 400 },
  INVALID_CAPABILITIES: { errorCode: 4, status: 400 },
  INVALID_TICKET: { errorCode: 5, status: 400 },
  TICKET_NOT_SUPPORTED: { errorCode: 6, status: 400 },
  INVALID_STATE: { errorCode: 7, status: 400 },
  ILLEGAL_TRANSITION: { errorCode: 8, status: 409 },
  MALFORMED_REQUEST: { errorCode: 9, status: 400 },
  UPLOAD_INCOMPLETE: { errorCode: 10, status: 400 },
  DOCUMENT_TOO_LARGE: { errorCode: 11, status: 413 },
  UNAUTHENTICATED: { errorCode: 12, status: 401 },
  FORBIDDEN: { errorCode: 13, status: 403 },
  PRINTER_NOT_FOUND: { errorCode: 14, status: 404 },
  JOB_NOT_FOUND: { errorCode: 15, status: 404 },
  USER_NOT_FOUND: { errorCode: 16, status: 404 },
  REGISTRATION_NOT_FOUND: { errorCode: 17, status: 404 },
  /** getauthcode before the claim: the device keeps polling, so this is not an HTTP error. */
  NOT_CLAIMED_YET: { errorCode: 18, status: 200 },
  ALREADY_CLAIMED: { errorCode: 19, status: 409 },
  CREDENTIALS_ALREADY_ISSUED: { errorCode: 20, status: 409 },
  DOCUMENT_NOT_FOUND: { errorCode: 21, status: 404 },
  UNSUPPORTED_CONTENT_TYPE: { errorCode: 22, status: 415 },
  TOO_MANY_CLAIM_ATTEMPTS: { errorCode: 23, status: 429 },
  TOO_MANY_REGISTRATIONS: { errorCode: 24, status: 429 },
  /** fetch with nothing queued: "not an error" to every client [C:gcp/gcp.go Fetch]. */
  NO_JOBS: { errorCode: 413, status: 200 },
} as const;

export type CloudErrorName = keyof typeof CLOUD_ERRORS;

export class CloudError extends Error {
  readonly errorCode: number;
  readonly status: number;

  constructor(
    readonly kind: CloudErrorName,
    message: string,
    /** Overrides the usual HTTP status where a protocol rule says so. */
    status?: number,
  ) {
    super(message);
    this.errorCode = CLOUD_ERRORS[kind].errorCode;
    this.status = status ?? CLOUD_ERRORS[kind].status;
  }
}
