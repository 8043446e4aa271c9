// IPP Everywhere for every cloud printer [issue 19]: builds the IPP service's
// dependencies from the server's options and the cloud print service, and
// registers it. The server calls startIpp once; everything else of src/ipp
// sees only deps.ts.
import type { FastifyInstance } from 'fastify';
import type { CloudService } from '../cloud/service.ts';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import type { TlsMaterial } from '../tls/material.ts';
import { cloudForIpp } from './cloud-adapter.ts';
import { pendingJobsIn } from './pending-jobs.ts';
import { registerIpp, type IppService } from './server.ts';

/** What IPP needs from the server that runs it. */
export interface IppDependencies {
  config: Pick<ServerConfig, 'host' | 'bus' | 'ippsPort' | 'ippBasicOverHttp' | 'ippMaxAttributesSize' | 'ippMaxQueuedJobs' | 'ippJobTimeoutSeconds' | 'maxDocumentSize' | 'ippAdvertise' | 'ippAdvertiseInterface' | 'ippAdvertiseInterval'>;
  log: Logger;
  tls: TlsMaterial;
  publicUrl(): string;
}

/** Who is connected to the push channel on this node (the XMPP server, once it exists). */
export interface PushSessions {
  domain: string;
  sessionsOf(bareJid: string): ReadonlyMap<string, unknown> | undefined;
}

export function startIpp(app: FastifyInstance, deps: IppDependencies, cloud: CloudService, sessions: () => PushSessions | undefined): Promise<IppService> {
  const { config } = deps;
  return registerIpp(app, {
    cloud: cloudForIpp(cloud),
    pending: pendingJobsIn(cloud.db),
    log: deps.log,
    publicUrl: deps.publicUrl,
    deviceConnected(robotJidLocal) {
      const push = sessions();
      // A device on another node of a cluster is not seen here: unknown, not offline.
      if (!push || config.bus !== 'local') return undefined;
      return (push.sessionsOf(`${robotJidLocal}@${push.domain}`)?.size ?? 0) > 0;
    },
    tls: deps.tls,
    options: {
      host: config.host,
      ippsPort: config.ippsPort,
      allowBasicOverHttp: config.ippBasicOverHttp,
      maxAttributesSize: config.ippMaxAttributesSize,
      maxQueuedJobs: config.ippMaxQueuedJobs,
      multipleOperationTimeout: config.ippJobTimeoutSeconds,
      maxDocumentSize: config.maxDocumentSize,
      advertise: { enabled: config.ippAdvertise, networkInterface: config.ippAdvertiseInterface, intervalSeconds: config.ippAdvertiseInterval },
    },
  });
}
