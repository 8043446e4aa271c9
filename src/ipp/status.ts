// Operation ids [RFC 8011 §5.4.15; PWG 5100.14 §5.1 required set] and status
// codes [RFC 8011 §B] this service uses.

/** The operations served, by operation-id. */
export const OPERATION_NAMES: Record<number, string> = {
  0x0002: 'Print-Job',
  0x0004: 'Validate-Job',
  0x0005: 'Create-Job',
  0x0006: 'Send-Document',
  0x0008: 'Cancel-Job',
  0x0009: 'Get-Job-Attributes',
  0x000a: 'Get-Jobs',
  0x000b: 'Get-Printer-Attributes',
  0x0039: 'Cancel-My-Jobs',
  0x003b: 'Close-Job',
  0x003c: 'Identify-Printer',
};

export const Status = {
  ok: 0x0000,
  okIgnoredOrSubstituted: 0x0001,
  badRequest: 0x0400,
  forbidden: 0x0401,
  notAuthenticated: 0x0402,
  notAuthorized: 0x0403,
  notPossible: 0x0404,
  timeout: 0x0405,
  notFound: 0x0406,
  requestEntityTooLarge: 0x0409,
  documentFormatNotSupported: 0x040a,
  attributesOrValuesNotSupported: 0x040b,
  compressionNotSupported: 0x040f,
  compressionError: 0x0410,
  documentFormatError: 0x0411,
  internalError: 0x0500,
  operationNotSupported: 0x0501,
  versionNotSupported: 0x0503,
  busy: 0x0507,
  multipleDocumentJobsNotSupported: 0x0509,
} as const;

/** An operation that ends with an IPP status (sent with HTTP 200) rather than a result. */
export class IppStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Attributes for the unsupported-attributes group. */
    readonly unsupported: Array<{ name: string; values: import('./codec.ts').IppValue[] }> = [],
  ) {
    super(message);
  }
}
