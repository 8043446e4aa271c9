// TLS material for every TLS listener. An operator passes --tls-cert/--tls-key;
// without them a private CA and an ECDSA P-256 server certificate are kept
// under DATA/tls (ECDSA signs a handshake far faster than RSA, which matters
// at hundreds of new XMPP sessions a second). The CA is made once; the server
// certificate is made again, from the same CA, whenever the names the server
// is reached by change or it nears its end, so devices that trust DATA/tls/ca.pem
// (their --ca) keep trusting the server.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes, webcrypto } from 'node:crypto';
import { join } from 'node:path';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Path of the generated CA certificate, when we generated one. */
  caPath?: string;
  /** The names (DNS names and IP addresses) the served certificate is valid for. */
  names: string[];
  /** Whether the server certificate was made at this start (first start, new names, or renewal). */
  issued: boolean;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 3600 * 1000;
const YEAR_MS = 365 * DAY_MS;
/** A generated server certificate this close to its end is replaced at start-up. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Names every generated certificate carries, so loopback clients always verify. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

interface CertificateAuthority {
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
}

/** One spelling per name: lower-case DNS names, IPv6 addresses compressed as in a URL. */
export function canonicalName(name: string): string {
  const bare = name.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) === 6) return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return bare.toLowerCase();
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decode(pem)[0]!;
  return (await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign'])) as unknown as CryptoKey;
}

/** Writes a file whole or not at all (a crash mid-write must not leave half a key). */
function writeAtomically(file: string, text: string, mode: number): void {
  writeFileSync(`${file}.tmp`, text, { mode });
  renameSync(`${file}.tmp`, file);
}

function randomSerial(): string {
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; the top bit clear keeps it positive.
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
}

async function loadOrCreateCa(dir: string): Promise<CertificateAuthority> {
  const certFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'ca-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    return { cert: new x509.X509Certificate(readFileSync(certFile, 'utf8')), privateKey: await importKey(readFileSync(keyFile, 'utf8')) };
  }
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 3600 * 1000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: 'CN=OpenCloudPrint private CA',
    notBefore,
    notAfter: new Date(notBefore.getTime() + 10 * YEAR_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  writeAtomically(keyFile, await exportKey(keys.privateKey), 0o600);
  writeAtomically(certFile, cert.toString('pem'), 0o644);
  return { cert, privateKey: keys.privateKey };
}

async function issueServerCertificate(dir: string, ca: CertificateAuthority, names: string[]): Promise<void> {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 3600 * 1000);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: `CN=${names[0]}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter: new Date(Math.min(notBefore.getTime() + 2 * YEAR_MS, ca.cert.notAfter.getTime())),
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((name) => ({ type: isIP(name) ? ('ip' as const) : ('dns' as const), value: name }))),
    ],
  });
  writeAtomically(join(dir, 'server-key.pem'), await exportKey(keys.privateKey), 0o600);
  writeAtomically(join(dir, 'server.pem'), server.toString('pem') + '\n' + ca.cert.toString('pem'), 0o644);
}

/** The DNS names and IP addresses in a PEM certificate's subjectAltName, canonical. */
export function certificateNames(pem: string): string[] {
  const cert = new x509.X509Certificate(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  return (san?.names.items ?? []).filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => canonicalName(n.value));
}

/** Whether the generated server certificate can be served as it is for `names`, signed by `ca`. */
async function currentCertificateFits(dir: string, ca: CertificateAuthority, names: string[]): Promise<boolean> {
  if (!existsSync(join(dir, 'server.pem')) || !existsSync(join(dir, 'server-key.pem'))) return false;
  const pem = readFileSync(join(dir, 'server.pem'), 'utf8');
  const cert = new x509.X509Certificate(pem);
  if (cert.notAfter.getTime() - Date.now() < RENEW_BEFORE_MS) return false;
  if (!(await cert.verify({ publicKey: ca.cert.publicKey, signatureOnly: true }))) return false;
  const have = new Set(certificateNames(pem));
  return have.size === names.length && names.every((name) => have.has(name));
}

/**
 * The certificate and key to serve: the operator's files if given, otherwise
 * the generated pair under `dataDir/tls`, valid for `names` (the hosts and
 * addresses clients reach the server by) and loopback.
 */
export async function loadTlsMaterial(options: { dataDir: string; certPath?: string; keyPath?: string; names: string[] }): Promise<TlsMaterial> {
  if (options.certPath || options.keyPath) {
    if (!options.certPath || !options.keyPath) throw new Error('--tls-cert and --tls-key go together');
    const cert = readFileSync(options.certPath, 'utf8');
    return { cert, key: readFileSync(options.keyPath, 'utf8'), names: certificateNames(cert), issued: false };
  }
  const dir = join(options.dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = [...new Set([...options.names, ...LOOPBACK_NAMES].map(canonicalName))];
  const ca = await loadOrCreateCa(dir);
  const issued = !(await currentCertificateFits(dir, ca, names));
  if (issued) await issueServerCertificate(dir, ca, names);
  return {
    cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
    key: readFileSync(join(dir, 'server-key.pem'), 'utf8'),
    caPath: join(dir, 'ca.pem'),
    names,
    issued,
  };
}
