// Publishes a printer-changed hint on the notification bus after every
// /cloudprint request that changes what people watching a printer see: a
// device's state report (update), a job's progress (control), a new or deleted
// job, a share, a claim, a deletion. Every node's console event streams
// (console-events.ts) hear it, whichever node took the request. The hook reads
// only the request's parameters; the routes themselves are not touched.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { NotificationBus, PrinterChangedNotification } from '../events/bus.ts';
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
}

function paramOf(request: FastifyRequest, name: string): string | undefined {
  return textField(request.query, name) ?? textField(request.body, name);
}

export function publishPrinterChanges(app: FastifyInstance, deps: ChangeDependencies): void {
  const pending = new WeakMap<FastifyRequest, string>();
  // preHandler: bodies are parsed (multipart ones are streamed by the route, so submit is seen by its query or the device notice).
  app.addHook('preHandler', async (request) => {
    const call = /^\/cloudprint\/(\w+)/.exec(request.url)?.[1];
    if (!call || !(call in CHANGES)) return;
    const jobId = paramOf(request, 'jobid');
    const token = call === 'confirm' ? paramOf(request, 'token') : undefined;
    const printerId = paramOf(request, 'printerid') ?? (jobId ? await deps.printerOfJob(jobId) : token ? await deps.printerOfRegistration(token) : undefined);
    if (printerId) pending.set(request, printerId);
  });
  app.addHook('onResponse', async (request, reply) => {
    const printerId = pending.get(request);
    if (!printerId || reply.statusCode >= 400) return;
    const call = /^\/cloudprint\/(\w+)/.exec(request.url)![1]!;
    deps.bus.publish({ type: 'printer-changed', printerId, what: CHANGES[call]! }).catch((error: Error) => deps.log.warn({ err: error.message }, 'could not publish a printer change'));
  });
}
