// What a device tells its operator when the server's certificate fails
// verification: the name it checked, and the option that fixes it. Node's
// own messages ("self-signed certificate in certificate chain") name neither.
import type { PeerCertificate } from 'node:tls';

/** OpenSSL verification results meaning "signed by a CA we do not trust". */
const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
]);
const OUT_OF_DATE = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

interface VerifyError {
  code?: unknown;
  cert?: PeerCertificate;
  cause?: unknown;
}

/** The error, or the first in its `cause` chain (fetch wraps TLS errors), that carries a code. */
function codedError(error: unknown): VerifyError | undefined {
  for (let current = error as VerifyError | undefined, depth = 0; current && depth < 4; current = current.cause as VerifyError | undefined, depth++) {
    if (typeof current.code === 'string') return current;
  }
  return undefined;
}

/** How the connection picks the CAs it trusts. */
export interface TrustSource {
  /** The CA file given (the device's --ca), if any. */
  caFile?: string;
  /** How to trust another CA on this connection. */
  remedy: string;
}

/** The XMPP channel's trust: its --ca option. */
export function caOptionTrust(caFile: string | undefined): TrustSource {
  return { caFile, remedy: "give --ca with the server's DATA/tls/ca.pem (or the CA of its --tls-cert)" };
}

/** HTTPS requests trust the system's CAs and Node's NODE_EXTRA_CA_CERTS. */
export const SYSTEM_TRUST: TrustSource = { remedy: "set NODE_EXTRA_CA_CERTS to the server's DATA/tls/ca.pem (or the CA of its --tls-cert)" };

/** Advice for a TLS verification failure on a connection to `host`, or undefined for any other error. */
export function certificateAdvice(error: unknown, host: string, trust: TrustSource): string | undefined {
  const coded = codedError(error);
  const code = coded?.code as string | undefined;
  if (!code) return undefined;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const names = coded?.cert?.subjectaltname?.replace(/(DNS|IP Address):/g, '') ?? 'other names';
    return `the server's certificate does not name "${host}" (it names ${names}): start the server with --public-url or --tls-name giving "${host}" so that it issues a certificate for it, or connect to one of the names it has`;
  }
  if (UNTRUSTED.has(code)) {
    const trusted = trust.caFile ? `the CA in ${trust.caFile}` : 'a CA this device trusts';
    return `the server's certificate for "${host}" is not signed by ${trusted}: ${trust.remedy}`;
  }
  if (OUT_OF_DATE.has(code)) {
    return `the server's certificate for "${host}" is expired or not yet valid: check the clocks of both machines; a server with a generated certificate renews it at start-up`;
  }
  return undefined;
}
