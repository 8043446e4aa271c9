// TLS material for every TLS listener. An operator passes --tls-cert/--tls-key;
// without them a private CA and an ECDSA P-256 server certificate are made once
// under DATA/tls (ECDSA signs a handshake far faster than RSA, which matters
// at hundreds of new XMPP sessions a second).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import { join } from 'node:path';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export interface TlsMaterial {
  cert: string;
  key: string;
  /** Path of the generated CA certificate, when we generated one. */
  caPath?: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const YEAR_MS = 365 * 24 * 3600 * 1000;

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key as unknown as webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function generate(dir: string, names: string[]): Promise<void> {
  const caKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 3600 * 1000);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=OpenCloudPrint private CA',
    notBefore,
    notAfter: new Date(notBefore.getTime() + 10 * YEAR_MS),
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: '02',
    subject: `CN=${names[0]}`,
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 2 * YEAR_MS),
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((name) => ({ type: isIP(name) ? ('ip' as const) : ('dns' as const), value: name }))),
    ],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'ca.pem'), ca.toString('pem'));
  writeFileSync(join(dir, 'ca-key.pem'), await exportKey(caKeys.privateKey), { mode: 0o600 });
  writeFileSync(join(dir, 'server.pem'), server.toString('pem') + '\n' + ca.toString('pem'));
  writeFileSync(join(dir, 'server-key.pem'), await exportKey(serverKeys.privateKey), { mode: 0o600 });
}

/**
 * The certificate and key to serve: the operator's files if given, otherwise
 * the generated pair under `dataDir/tls` (made on first use, valid for
 * `names`, which should include the XMPP domain and the listening host).
 */
export async function loadTlsMaterial(options: { dataDir: string; certPath?: string; keyPath?: string; names: string[] }): Promise<TlsMaterial> {
  if (options.certPath || options.keyPath) {
    if (!options.certPath || !options.keyPath) throw new Error('--tls-cert and --tls-key go together');
    return { cert: readFileSync(options.certPath, 'utf8'), key: readFileSync(options.keyPath, 'utf8') };
  }
  const dir = join(options.dataDir, 'tls');
  if (!existsSync(join(dir, 'server.pem'))) {
    const names = [...new Set([...options.names, 'localhost', '127.0.0.1', '::1'])];
    await generate(dir, names);
  }
  return {
    cert: readFileSync(join(dir, 'server.pem'), 'utf8'),
    key: readFileSync(join(dir, 'server-key.pem'), 'utf8'),
    caPath: join(dir, 'ca.pem'),
  };
}
