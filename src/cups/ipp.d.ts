// Types for the parts of the `ipp` package (IPP/2.0 encoding, RFC 8010) we use.
declare module 'ipp' {
  export type IppValue = string | number | boolean | IppValue[] | { [key: string]: IppValue };
  export interface IppMessage {
    version?: string;
    operation?: string;
    statusCode?: string;
    id?: number;
    'operation-attributes-tag'?: Record<string, IppValue>;
    'job-attributes-tag'?: Record<string, IppValue>;
    'printer-attributes-tag'?: Record<string, IppValue>;
    'unsupported-attributes-tag'?: Record<string, IppValue>;
    [group: string]: unknown;
  }
  export function serialize(message: IppMessage): Buffer;
  export function parse(buffer: Buffer): IppMessage;
  const ipp: { serialize: typeof serialize; parse: typeof parse };
  export default ipp;
}
