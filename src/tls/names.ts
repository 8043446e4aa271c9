// The names a server is reached by, which its generated certificate must
// carry (RFC 6125 §6: a client checks the name it dialled against the
// certificate's subjectAltName): the --public-url host, the XMPP --domain,
// the listening address (every interface address when it is a wildcard) and
// any extra --tls-name.
import { networkInterfaces } from 'node:os';
import type { ServerConfig } from '../config.ts';

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((addresses) =>
    (addresses ?? []).filter((a) => !(a.family === 'IPv6' && a.scopeid)).map((a) => a.address),
  );
}

export function serverNames(config: Pick<ServerConfig, 'publicUrl' | 'domain' | 'host' | 'tlsNames'>): string[] {
  const names: string[] = [];
  if (config.publicUrl) names.push(new URL(config.publicUrl).hostname.replace(/^\[(.*)\]$/, '$1'));
  names.push(config.domain);
  if (WILDCARDS.has(config.host)) names.push(...interfaceAddresses());
  else names.push(config.host);
  names.push(...config.tlsNames);
  return [...new Set(names.filter((name) => name && !WILDCARDS.has(name)))];
}
