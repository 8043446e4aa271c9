// IPP Everywhere for every cloud printer [issue 19]: builds the IPP service's
// dependencies from the server's options and the cloud print service, and
// registers it. The server calls startIpp once; everything else of src/ipp
// sees only deps.ts.
import type { FastifyInstance } from 'fastify';
import type { CloudService } from '../cloud/service.ts';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { proxyProtocolFrom } from '../net/proxy-protocol.ts';
import type { TlsMaterial } from '../tls/material.ts';
import { cloudForIpp } from './cloud-adapter.ts';
import { pendingJobsIn } from './pending-jobs.ts';
import { registerIpp, type IppService } from './server.ts';

/** What IPP needs from the server that runs it. */
export interface IppDependencies {
  config: Pick<ServerConfig, 'host' | 'ippsPort' | 'ippsPublicPort' | 'trustedProxies' | 'proxyHeaderTimeoutSeconds' | 'proxyHeaderMaxSize' | 'httpIdleTimeoutSeconds' | 'httpMaxConnectionsPerAddress' | 'ippBasicOverHttp' | 'ippMaxAttributesSize' | 'ippMaxQueuedJobs' | 'ippJobTimeoutSeconds' | 'maxDocumentSize' | 'ippAdvertise' | 'ippAdvertiseInterface' | 'ippAdvertiseInterval'>;
  log: Logger;
  tls: TlsMaterial;
  publicUrl(): string;
}

export function startIpp(app: FastifyInstance, deps: IppDependencies, cloud: CloudService): Promise<IppService> {
  const { config } = deps;
  return registerIpp(app, {
    cloud: cloudForIpp(cloud),
    pending: pendingJobsIn(cloud.db),
    log: deps.log,
    publicUrl: deps.publicUrl,
    tls: deps.tls,
    options: {
      host: config.host,
      ippsPort: config.ippsPort,
      ippsPublicPort: config.ippsPublicPort,
      ippsConnections: {
        proxyProtocol: proxyProtocolFrom(config),
        idleTimeoutMs: config.httpIdleTimeoutSeconds * 1000,
        maxConnectionsPerAddress: config.httpMaxConnectionsPerAddress,
      },
      allowBasicOverHttp: config.ippBasicOverHttp,
      maxAttributesSize: config.ippMaxAttributesSize,
      maxQueuedJobs: config.ippMaxQueuedJobs,
      multipleOperationTimeout: config.ippJobTimeoutSeconds,
      maxDocumentSize: config.maxDocumentSize,
      advertise: { enabled: config.ippAdvertise, networkInterface: config.ippAdvertiseInterface, intervalSeconds: config.ippAdvertiseInterval },
    },
  });
}
