// Device-facing HTTP: registration for a sender (the replacement of the
// original's c2dm/register3, CCS §8) and topic subscriptions.
//
//   POST   /ccs/register  sender, app            → registration_id (+ XMPP credentials for a new device)
//   DELETE /ccs/register  sender, app            → unregisters (DEVICE_UNREGISTERED from then on)
//   GET    /ccs/topics    registration_id        → the registration's topics
//   POST   /ccs/topics    registration_id, topic → subscribe
//   DELETE /ccs/topics    registration_id, topic → unsubscribe
//
// Fields come as JSON, form or query. A device already holding credentials
// sends `Authorization: Bearer TOKEN`; without it, registering creates a new
// device account. Errors use the Android registration vocabulary.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Accounts, Account } from '../../auth/accounts.ts';
import { bearerToken } from '../../auth/http-auth.ts';
import { WindowLimiter } from '../../limits/window-limiter.ts';
import type { ServerConfig } from '../../config.ts';
import type { CcsService } from '../service/index.ts';
import { normalizeTopicName } from '../service/messages.ts';
import { nulField } from '../../input-checks.ts';

type Params = Record<string, unknown>;

function paramsOf(request: FastifyRequest): Record<string, string | undefined> {
  const merged: Params = { ...(request.query as Params), ...((request.body as Params | undefined) ?? {}) };
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(merged)) if (typeof value === 'string') out[key] = value;
  return out;
}

function fail(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.code(status).send({ error, error_description: description });
}

/** preHandler of every route: a field holding NUL is refused before any lookup (PostgreSQL cannot store it). */
async function refuseNul(request: FastifyRequest, reply: FastifyReply) {
  const field = nulField(request.query, request.body);
  if (field !== undefined) return fail(reply, 400, 'INVALID_PARAMETERS', `${field} contains a NUL character`);
}

export function registerDeviceRoutes(app: FastifyInstance, ccs: CcsService, accounts: Accounts, config: Pick<ServerConfig, 'domain' | 'anonymousRegistrationsPerMinute'>): void {
  const { domain } = config;
  // A registration without a device token creates an account: bounded per source address.
  const anonymousRegistrations = new WindowLimiter(config.anonymousRegistrationsPerMinute);

  /** The calling device account; undefined when no token was given; null for a bad one. */
  async function deviceOf(request: FastifyRequest): Promise<Account | undefined | null> {
    const token = bearerToken(request);
    if (!token) return undefined;
    const account = await accounts.authenticate(token);
    return account?.kind === 'device' ? account : null;
  }

  async function requireDevice(request: FastifyRequest, reply: FastifyReply): Promise<Account | undefined> {
    const device = await deviceOf(request);
    if (!device) {
      void fail(reply, 401, 'AUTHENTICATION_FAILED', 'a device token is required (Authorization: Bearer TOKEN)');
      return undefined;
    }
    return device;
  }

  app.post('/ccs/register', { preHandler: refuseNul }, async (request, reply) => {
    const { sender, app: appName } = paramsOf(request);
    if (!sender || !appName) return fail(reply, 400, 'INVALID_PARAMETERS', 'sender and app are required');
    const senderRow = await ccs.senders.find(sender);
    if (!senderRow || senderRow.revoked_at !== null) return fail(reply, 400, 'INVALID_SENDER', `unknown sender ${sender}`);
    let device = await deviceOf(request);
    if (device === null) return fail(reply, 401, 'AUTHENTICATION_FAILED', 'the device token is invalid');
    let password: string | undefined;
    if (!device) {
      if (!anonymousRegistrations.take(request.ip)) return fail(reply, 429, 'TOO_MANY_REGISTRATIONS', `too many new devices from ${request.ip}; try again in a minute`);
      device = await accounts.createDevice();
      password = await accounts.issueApiToken(device.id);
    }
    const registration = await ccs.registrations.register({ accountId: device.id, jidLocal: device.jid_local }, sender, appName);
    return reply.header('cache-control', 'no-store').send({
      registration_id: registration.registration_id,
      sender,
      app: appName,
      jid: `${device.jid_local}@${domain}`,
      ...(password ? { password } : {}),
    });
  });

  app.delete('/ccs/register', { preHandler: refuseNul }, async (request, reply) => {
    const device = await requireDevice(request, reply);
    if (!device) return reply;
    const { sender, app: appName } = paramsOf(request);
    if (!sender || !appName) return fail(reply, 400, 'INVALID_PARAMETERS', 'sender and app are required');
    if (!(await ccs.registrations.unregister(device.id, sender, appName))) return fail(reply, 404, 'NOT_REGISTERED', `not registered for ${sender}/${appName}`);
    return reply.send({ unregistered: true });
  });

  /** The caller's own active registration named by `registration_id`. */
  async function ownRegistration(request: FastifyRequest, reply: FastifyReply) {
    const device = await requireDevice(request, reply);
    if (!device) return undefined;
    const { registration_id } = paramsOf(request);
    const registration = registration_id ? await ccs.registrations.find(registration_id) : undefined;
    if (!registration || registration.account_id !== device.id || registration.unregistered_at !== null) {
      void fail(reply, 404, 'NOT_REGISTERED', 'no such registration for this device');
      return undefined;
    }
    return registration;
  }

  app.get('/ccs/topics', { preHandler: refuseNul }, async (request, reply) => {
    const registration = await ownRegistration(request, reply);
    if (!registration) return reply;
    return reply.send({ topics: await ccs.registrations.topicsOf(registration.registration_id) });
  });

  for (const method of ['post', 'delete'] as const) {
    app[method]('/ccs/topics', { preHandler: refuseNul }, async (request, reply) => {
      const registration = await ownRegistration(request, reply);
      if (!registration) return reply;
      const topic = normalizeTopicName(paramsOf(request).topic ?? '');
      if (!topic) return fail(reply, 400, 'INVALID_PARAMETERS', 'topic must match [a-zA-Z0-9-_.~%]+');
      if (method === 'post') await ccs.registrations.subscribe(registration, topic);
      else await ccs.registrations.unsubscribe(registration.registration_id, topic);
      return reply.send({ topic, subscribed: method === 'post' });
    });
  }
}
