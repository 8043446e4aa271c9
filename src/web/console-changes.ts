// Publishes a printer-changed hint on the notification bus after every
// /cloudprint request that changes what people watching a printer see: a
// device's state report (update), a job's progress (control), a new or deleted
// job, a share, a claim, a deletion. Every node's console event streams
// (console-events.ts) hear it, whichever node took the request. The hook reads
// only the request's parameters; the routes themselves are not touched. A
// multipart body is streamed by its route, unseen here: a device's multipart
// update names its printer by the printers of its robot that the request
// changed.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NotificationBus, PrinterChangedNotification } from '../events/bus.ts';
import { bearerToken } from '../auth/http-auth.ts';
import { textField } from '../http/fields.ts';
import type { Logger } from '../log.ts';

/** The /cloudprint calls that change a printer, and what they change. */
const CHANGES: Record<string, PrinterChangedNotification['what']> = {
  update: 'printer',
  delete: 'printer',
  confirm: 'printer',
  submit: 'jobs',
  control: 'jobs',
  deletejob: 'jobs',
  share: 'sharing',
  unshare: 'sharing',
};

export interface ChangeDependencies {
  bus: NotificationBus;
  log: Logger;
  /** The printer a job belongs to (read before the request runs: deletejob removes it). */
  printerOfJob(jobId: string): Promise<string | undefined>;
  /** The printer a registration token waits for (confirm). */
  printerOfRegistration(token: string): Promise<string | undefined>;
  /** Printers whose device the bearer of `token` is, changed at or after `since` (ms). */
  devicePrintersChangedSince(token: string, since: number): Promise<string[]>;
}

function paramOf(request: FastifyRequest, name: string): string | undefined {
  return textField(request.query, name) ?? textField(request.body, name);
}

export function publishPrinterChanges(app: FastifyInstance, deps: ChangeDependencies): void {
  const pending = new WeakMap<FastifyRequest, { call: string; printerId?: string; since: number }>();
  // preHandler: form and query parameters are parsed (a new job's multipart submit is told by its device notice, src/cloud/service.ts).
  app.addHook('preHandler', async (request) => {
    const call = /^\/cloudprint\/(\w+)/.exec(request.url)?.[1];
    if (!call || !(call in CHANGES)) return;
    const since = Date.now();
    const jobId = paramOf(request, 'jobid');
    const token = call === 'confirm' ? paramOf(request, 'token') : undefined;
    // Bad input (a NUL the database refuses, say) is the route's to answer, with its own 4xx: no hint then.
    const printerId = await Promise.resolve(paramOf(request, 'printerid') ?? (jobId ? deps.printerOfJob(jobId) : token ? deps.printerOfRegistration(token) : undefined)).catch(() => undefined);
    pending.set(request, { call, printerId, since });
  });
  app.addHook('onResponse', async (request, reply) => {
    const seen = pending.get(request);
    if (!seen || reply.statusCode >= 400) return;
    const token = bearerToken(request);
    const printerIds = seen.printerId ? [seen.printerId] : seen.call === 'update' && token ? await deps.devicePrintersChangedSince(token, seen.since).catch(() => []) : [];
    for (const printerId of printerIds) {
      deps.bus.publish({ type: 'printer-changed', printerId, what: CHANGES[seen.call]! }).catch((error: Error) => deps.log.warn({ err: error.message }, 'could not publish a printer change'));
    }
  });
}
