// Accounts and tokens over HTTP: registerAuth() adds the token, device
// authorization and revocation endpoints (src/auth/oauth-routes.ts) and the
// device flow's verification page (src/auth/device-page.ts). It needs only
// AuthDependencies from the server that runs it.
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config.ts';
import type { Store } from '../store/db.ts';
import type { Accounts } from './accounts.ts';
import { DeviceCodes } from './device-codes.ts';
import { registerDevicePage } from './device-page.ts';
import { registerOAuthRoutes } from './oauth-routes.ts';

/** What the auth routes need from the server that runs them. */
export interface AuthDependencies {
  config: Pick<ServerConfig, 'deviceCodeTtlSeconds' | 'deviceCodeIntervalSeconds' | 'deviceCodesPerMinute' | 'userCodeFailuresPerMinute'>;
  store: Pick<Store, 'db'>;
  accounts: Accounts;
  /** Base URL of the HTTP port, known once it listens. */
  readonly publicUrl: string;
}

/** Answers the device flow, which the console's Account page also approves codes with. */
export function registerAuth(app: FastifyInstance, deps: AuthDependencies): { deviceCodes: DeviceCodes } {
  const { config, accounts } = deps;
  const deviceLimits = {
    ttlSeconds: config.deviceCodeTtlSeconds,
    intervalSeconds: Math.max(1, Math.ceil(config.deviceCodeIntervalSeconds)),
    requestsPerMinute: config.deviceCodesPerMinute,
    userCodeFailuresPerMinute: config.userCodeFailuresPerMinute,
  };
  const deviceCodes = new DeviceCodes(deps.store.db, accounts, deviceLimits);
  registerOAuthRoutes(app, accounts, deviceCodes, () => deps.publicUrl);
  registerDevicePage(app, accounts, deviceCodes);
  return { deviceCodes };
}
