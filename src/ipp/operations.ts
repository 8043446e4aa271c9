// The IPP operations of PWG 5100.14 §5.1 over the cloud print service, one
// handler per operation-id [RFC 8011 §4.2–4.3, PWG 5100.11 §4 Close-Job and
// Cancel-My-Jobs, PWG 5100.13 §4.1 Identify-Printer]. A handler gets the
// parsed request, the printer and the signed-in user, and returns the
// response's status and groups; the transport (server.ts) did the HTTP.
import type { Readable } from 'node:stream';
import { attr, GroupTag, ipp, ValueTag, type IppAttribute, type IppGroup, type IppMessage } from './codec.ts';
import { capabilitiesOf } from './capabilities.ts';
import { IppCloudError, type IppCloud, type IppJob, type IppOptions, type IppPendingJob, type IppPendingJobs, type IppPrinter, type IppUser } from './deps.ts';
import { COMPRESSIONS, decompressed, sniffFormat } from './document.ts';
import { CANCELED, cloudIdPrefixes, ippJobId, ippJobState, isFinished, jobAttributes } from './job-attributes.ts';
import { ConversionError, convertToPdf } from './convert.ts';
import { documentFormats, nativeFormats, printerAttributes, type PrinterContext } from './printer-attributes.ts';
import { IppStatusError, Status } from './status.ts';
import { ticketFrom } from './ticket.ts';

export interface OperationContext {
  message: IppMessage;
  /** The document data after the attributes (drained by the transport if a handler leaves it). */
  data: Readable;
  printer: IppPrinter;
  user: IppUser | undefined;
  printerContext: PrinterContext;
  jobMoreInfo(job: IppJob): string;
}

export interface OperationResult {
  status: number;
  message?: string;
  groups: IppGroup[];
}

/** Operations anyone may call; every other needs a signed-in user [issue 19: driverless set-up]. */
export const ANONYMOUS_OPERATIONS = new Set([0x000b]);

/** The job a job operation names, and its Create-Job's state while it waits for its document. */
interface Target {
  job: IppJob;
  pending: IppPendingJob | undefined;
}

function operationAttribute(message: IppMessage, name: string): IppAttribute | undefined {
  return message.groups.find((g) => g.tag === GroupTag.operation)?.attributes.find((a) => a.name === name);
}

function jobGroupAttributes(message: IppMessage): IppAttribute[] {
  return message.groups.filter((g) => g.tag === GroupTag.job).flatMap((g) => g.attributes);
}

function textOf(message: IppMessage, name: string): string | undefined {
  const value = operationAttribute(message, name)?.values[0];
  return typeof value?.value === 'string' ? value.value : undefined;
}

function intOf(message: IppMessage, name: string): number | undefined {
  const value = operationAttribute(message, name)?.values[0];
  return value?.tag === ValueTag.integer && typeof value.value === 'number' ? value.value : undefined;
}

function boolOf(message: IppMessage, name: string): boolean | undefined {
  const value = operationAttribute(message, name)?.values[0];
  return value?.tag === ValueTag.boolean ? (value.value as boolean) : undefined;
}

/** The requested-attributes filter [RFC 8011 §4.2.5.1]: undefined = everything. */
function requested(message: IppMessage, fallback?: string[]): Set<string> | undefined {
  const names = operationAttribute(message, 'requested-attributes')?.values.map((v) => String(v.value)) ?? fallback;
  if (!names || names.some((n) => n === 'all')) return undefined;
  if (names.some((n) => n === 'printer-description' || n === 'job-template' || n === 'job-description')) return undefined;
  return new Set(names);
}

function filtered(attributes: IppAttribute[], wanted: Set<string> | undefined): IppAttribute[] {
  return wanted ? attributes.filter((a) => wanted.has(a.name)) : attributes;
}

function unsupportedGroup(attributes: IppAttribute[]): IppGroup[] {
  return attributes.length ? [{ tag: GroupTag.unsupported, attributes }] : [];
}

export class Operations {
  constructor(
    private readonly cloud: IppCloud,
    /** Create-Jobs waiting for their document, in the store: any node of a cluster may get the Send-Document. */
    private readonly pending: IppPendingJobs,
    private readonly options: IppOptions,
  ) {}

  async run(context: OperationContext): Promise<OperationResult> {
    switch (context.message.code) {
      case 0x0002:
        return this.printJob(context);
      case 0x0004:
        return this.validateJob(context);
      case 0x0005:
        return this.createJob(context);
      case 0x0006:
        return this.sendDocument(context);
      case 0x0008:
        return this.cancelJob(context);
      case 0x0009:
        return this.getJobAttributes(context);
      case 0x000a:
        return this.getJobs(context);
      case 0x000b:
        return this.getPrinterAttributes(context);
      case 0x0039:
        return this.cancelMyJobs(context);
      case 0x003b:
        return this.closeJob(context);
      case 0x003c:
        return { status: Status.ok, groups: [] }; // Identify-Printer: a cloud printer has no panel to flash
      default:
        throw new IppStatusError(Status.operationNotSupported, `Operation 0x${context.message.code.toString(16).padStart(4, '0')} is not supported`);
    }
  }

  // ---------------------------------------------------------------- printer

  /** RFC 8011 §4.2.5. */
  private getPrinterAttributes({ message, printer, printerContext }: OperationContext): OperationResult {
    const attributes = filtered(printerAttributes(printer, printerContext), requested(message));
    return { status: Status.ok, groups: [{ tag: GroupTag.printer, attributes }] };
  }

  // ---------------------------------------------------------------- job creation

  /**
   * The checks Print-Job, Validate-Job and Create-Job share [RFC 8011
   * §4.2.1.2]: may the user print here, is the queue full, are the format,
   * the compression and the job template attributes supported.
   */
  private async admit(context: OperationContext) {
    const { message, printer } = context;
    const user = context.user!;
    if (!(await this.cloud.mayPrint(user, printer))) throw new IppStatusError(Status.notAuthorized, `${user.email} may not print to this printer`);
    // Create-Jobs waiting for their document count too.
    const waiting = await this.pending.count(printer.id, Date.now());
    if ((await this.cloud.queuedJobs(printer.id)) + waiting >= this.options.maxQueuedJobs) throw new IppStatusError(Status.busy, 'The printer\'s queue is full; try again later');
    const unsupported: IppAttribute[] = [];
    const compression = textOf(message, 'compression') ?? 'none';
    if (!COMPRESSIONS.includes(compression)) {
      throw new IppStatusError(Status.compressionNotSupported, `compression ${compression} is not supported`, [attr('compression', ipp.keyword(compression))]);
    }
    const caps = capabilitiesOf(printer.cdd);
    const format = textOf(message, 'document-format') ?? 'application/octet-stream';
    if (!documentFormats(caps).includes(format)) {
      throw new IppStatusError(Status.documentFormatNotSupported, `document-format ${format} is not supported`, [attr('document-format', ipp.mime(format))]);
    }
    const { ticket, unsupported: refused } = ticketFrom(jobGroupAttributes(message), caps);
    unsupported.push(...refused);
    try {
      this.cloud.checkTicket(printer, ticket);
    } catch (error) {
      if (!(error instanceof IppCloudError)) throw error;
      throw new IppStatusError(Status.attributesOrValuesNotSupported, error.message);
    }
    const fidelity = boolOf(message, 'ipp-attribute-fidelity') ?? false;
    if (unsupported.length && fidelity) throw new IppStatusError(Status.attributesOrValuesNotSupported, 'Some job attributes are not supported', unsupported);
    const title = textOf(message, 'job-name') ?? textOf(message, 'document-name') ?? 'Untitled';
    return { user, printer, ticket, title: title.slice(0, 255) || 'Untitled', format: format === 'application/octet-stream' ? undefined : format, compression, unsupported };
  }

  /** Streams the document into a new cloud job, converted first if the printer does not take its format. */
  private async store(user: IppUser, printer: IppPrinter, id: string, title: string, format: string | undefined, compression: string, ticket: Record<string, unknown>, data: Readable): Promise<IppJob> {
    const caps = capabilitiesOf(printer.cdd);
    let document = decompressed(data, compression);
    let contentType = format;
    let cleanup = async () => {};
    try {
      if (!contentType) {
        const sniffed = await sniffFormat(document);
        document = sniffed.data;
        contentType = sniffed.format;
        if (!contentType || !documentFormats(caps).includes(contentType)) {
          throw new IppStatusError(Status.documentFormatNotSupported, 'The document is in no format this printer accepts', [attr('document-format', ipp.mime('application/octet-stream'))]);
        }
      }
      if (!nativeFormats(caps).includes(contentType)) {
        const converted = await convertToPdf(document, contentType);
        ({ stream: document, contentType, cleanup } = converted);
      }
      return await this.cloud.createJob(user, printer, { id, title, contentType, ticket, document });
    } catch (error) {
      throw statusOfCloudError(error, compression);
    } finally {
      await cleanup();
    }
  }

  private jobResponse(context: OperationContext, job: IppJob, unsupported: IppAttribute[] = []): OperationResult {
    const wanted = new Set(['job-id', 'job-uri', 'job-state', 'job-state-reasons', 'job-state-message']);
    const attributes = jobAttributes(job, this.jobContext(context, job)).filter((a) => wanted.has(a.name));
    return {
      status: unsupported.length ? Status.okIgnoredOrSubstituted : Status.ok,
      groups: [...unsupportedGroup(unsupported), { tag: GroupTag.job, attributes }],
    };
  }

  /** RFC 8011 §4.2.1. */
  private async printJob(context: OperationContext): Promise<OperationResult> {
    const admitted = await this.admit(context);
    const job = await this.store(admitted.user, admitted.printer, this.cloud.newJobId(), admitted.title, admitted.format, admitted.compression, admitted.ticket, context.data);
    return this.jobResponse(context, job, admitted.unsupported);
  }

  /** RFC 8011 §4.2.3. */
  private async validateJob(context: OperationContext): Promise<OperationResult> {
    const admitted = await this.admit(context);
    return { status: admitted.unsupported.length ? Status.okIgnoredOrSubstituted : Status.ok, groups: unsupportedGroup(admitted.unsupported) };
  }

  /** RFC 8011 §4.2.4: the job exists (pending, job-incoming) until its document arrives or the time-out passes. */
  private async createJob(context: OperationContext): Promise<OperationResult> {
    const admitted = await this.admit(context);
    const now = Date.now();
    const job: IppJob = {
      id: this.cloud.newJobId(), printerId: admitted.printer.id, ownerId: admitted.user.id, ownerEmail: admitted.user.email, title: admitted.title,
      contentType: admitted.format ?? 'application/octet-stream', state: { type: 'QUEUED' }, pagesPrinted: 0, documentSize: 0, createdAt: now, updatedAt: now, ticket: admitted.ticket,
    };
    // multiple-operation-time-out-action abort-job [PWG 5100.11 §5.3.3]: the job is gone at expiresAt.
    await this.pending.add({ job, format: admitted.format, compression: admitted.compression, expiresAt: now + this.options.multipleOperationTimeout * 1000 }, now);
    return this.jobResponse(context, job, admitted.unsupported);
  }

  /** RFC 8011 §4.3.1; one document per job (multiple-document-jobs-supported false). */
  private async sendDocument(context: OperationContext): Promise<OperationResult> {
    const { message } = context;
    const lastDocument = boolOf(message, 'last-document');
    if (lastDocument === undefined) throw new IppStatusError(Status.badRequest, 'Send-Document needs last-document');
    const { job, pending } = await this.targetJob(context);
    if (!pending) throw new IppStatusError(Status.notPossible, 'The job already has its document');
    if (pending.job.ownerId !== context.user!.id) throw new IppStatusError(Status.notAuthorized, 'Only the job\'s owner may send its document');
    if (!lastDocument) throw new IppStatusError(Status.multipleDocumentJobsNotSupported, 'This printer takes one document per job: send it with last-document true');
    const compression = textOf(message, 'compression') ?? pending.compression;
    if (!COMPRESSIONS.includes(compression)) throw new IppStatusError(Status.compressionNotSupported, `compression ${compression} is not supported`, [attr('compression', ipp.keyword(compression))]);
    const format = textOf(message, 'document-format') ?? pending.format;
    const caps = capabilitiesOf(context.printer.cdd);
    if (format && format !== 'application/octet-stream' && !documentFormats(caps).includes(format)) {
      throw new IppStatusError(Status.documentFormatNotSupported, `document-format ${format} is not supported`, [attr('document-format', ipp.mime(format))]);
    }
    // Claimed atomically: of two Send-Documents for the job (on any nodes), one stores a document.
    if (!(await this.pending.claim(job.id, Date.now()))) throw new IppStatusError(Status.notPossible, 'The job already has its document');
    let stored: IppJob;
    try {
      stored = await this.store(context.user!, context.printer, job.id, pending.job.title, format === 'application/octet-stream' ? undefined : format, compression, pending.job.ticket, context.data);
    } catch (error) {
      await this.pending.finish(job.id);
      throw error;
    }
    // A Cancel-Job removed the row while the document came [RFC 8011 §4.3.3]: the job just stored is canceled.
    if (!(await this.pending.finish(job.id))) {
      await this.cancel(stored, false);
      throw new IppStatusError(Status.notPossible, `Job ${ippJobId(job.id)} was canceled while its document was sent`);
    }
    return this.jobResponse(context, stored);
  }

  /** PWG 5100.11 §4.1: a Create-Job without a document ends aborted (nothing to print). */
  private async closeJob(context: OperationContext): Promise<OperationResult> {
    const { job, pending } = await this.targetJob(context);
    if (pending && (await this.pending.take(job.id, Date.now()))) {
      return this.jobResponse(context, { ...job, state: { type: 'ABORTED', service_action_cause: { error_code: 'OTHER' } } });
    }
    return this.jobResponse(context, job);
  }

  // ---------------------------------------------------------------- jobs

  private jobContext(context: OperationContext, job: IppJob) {
    return { printerUri: context.printerContext.uris[0]!, moreInfo: context.jobMoreInfo(job), now: context.printerContext.now };
  }

  /** Jobs of this printer the user may see: their own, or every job if they manage it (as /cloudprint/jobs). */
  private async visible(context: OperationContext, job: IppJob): Promise<boolean> {
    return job.ownerId === context.user!.id || (await this.cloud.mayManage(context.user!, context.printer));
  }

  /** The job a job operation names: job-id (with printer-uri) or the last segment of job-uri [RFC 8011 §4.3.1]. */
  private async targetJob(context: OperationContext): Promise<Target> {
    const { message } = context;
    let id = intOf(message, 'job-id');
    if (id === undefined) {
      const uri = textOf(message, 'job-uri');
      const match = uri ? /\/(\d+)$/.exec(uri) : null;
      if (match) id = Number(match[1]);
    }
    if (id === undefined || id < 1) throw new IppStatusError(Status.badRequest, 'The operation needs job-id or job-uri');
    const pending = (await this.pending.of(context.printer.id, Date.now())).find((p) => ippJobId(p.job.id) === id);
    const jobs = pending ? [pending.job] : await this.cloud.jobsByIdPrefix(context.printer.id, cloudIdPrefixes(id));
    for (const job of jobs) if (ippJobId(job.id) === id && (await this.visible(context, job))) return { job, pending };
    throw new IppStatusError(Status.notFound, `Job ${id} does not exist on this printer`);
  }

  /** RFC 8011 §4.3.4. */
  private async getJobAttributes(context: OperationContext): Promise<OperationResult> {
    const { job } = await this.targetJob(context);
    const attributes = filtered(jobAttributes(job, this.jobContext(context, job)), requested(context.message));
    return { status: Status.ok, groups: [{ tag: GroupTag.job, attributes }] };
  }

  /** RFC 8011 §4.2.6. */
  private async getJobs(context: OperationContext): Promise<OperationResult> {
    const { message, printer, user } = context;
    const which = textOf(message, 'which-jobs') ?? 'not-completed';
    if (!['not-completed', 'completed', 'all'].includes(which)) {
      throw new IppStatusError(Status.attributesOrValuesNotSupported, `which-jobs ${which} is not supported`, [attr('which-jobs', ipp.keyword(which))]);
    }
    const limit = Math.min(Math.max(intOf(message, 'limit') ?? 1000, 1), 1000);
    const mine = boolOf(message, 'my-jobs') === true || !(await this.cloud.mayManage(user!, printer));
    const finished = which === 'all' ? undefined : which === 'completed';
    const jobs = await this.cloud.jobsOf(printer.id, { ownerId: mine ? user!.id : undefined, finished, limit });
    if (finished !== true) jobs.unshift(...(await this.pending.of(printer.id, Date.now(), mine ? user!.id : undefined)).map((pending) => pending.job));
    const wanted = requested(message, ['job-uri', 'job-id']);
    const groups = jobs.slice(0, limit).map((job) => ({ tag: GroupTag.job, attributes: filtered(jobAttributes(job, this.jobContext(context, job)), wanted) }));
    return { status: Status.ok, groups };
  }

  /** RFC 8011 §4.3.3. */
  private async cancelJob(context: OperationContext): Promise<OperationResult> {
    const { job, pending } = await this.targetJob(context);
    await this.cancel(job, pending !== undefined);
    return { status: Status.ok, groups: [] };
  }

  /** PWG 5100.11 §4.2: the user's unfinished jobs on this printer (or those of job-ids). */
  private async cancelMyJobs(context: OperationContext): Promise<OperationResult> {
    const { message, printer, user } = context;
    const ids = operationAttribute(message, 'job-ids')?.values.map((v) => Number(v.value));
    const pendingJobs = (await this.pending.of(printer.id, Date.now(), user!.id)).map((pending) => pending.job);
    const jobs = [...(await this.cloud.jobsOf(printer.id, { ownerId: user!.id, finished: false, limit: 1000 })), ...pendingJobs];
    const chosen = ids ? jobs.filter((job) => ids.includes(ippJobId(job.id))) : jobs;
    if (ids && chosen.length !== ids.length) {
      const missing = ids.filter((id) => !chosen.some((job) => ippJobId(job.id) === id));
      throw new IppStatusError(Status.notFound, `Jobs ${missing.join(', ')} are not yours or not pending`, [attr('job-ids', ...missing.map(ipp.int))]);
    }
    for (const job of chosen) await this.cancel(job, pendingJobs.includes(job));
    return { status: Status.ok, groups: [] };
  }

  /**
   * A job still waiting for its document, or receiving it (`pending`), just
   * goes (its Send-Document then cancels what it stored); one its document
   * reached is canceled in the cloud.
   */
  private async cancel(job: IppJob, pending: boolean): Promise<void> {
    if (pending) {
      if (await this.pending.cancel(job.id, Date.now())) return;
      throw new IppStatusError(Status.notPossible, `Job ${ippJobId(job.id)} got its document or timed out meanwhile`);
    }
    if (isFinished(ippJobState(job.state).state)) throw new IppStatusError(Status.notPossible, `Job ${ippJobId(job.id)} is already ${job.state.type.toLowerCase()}`);
    try {
      await this.cloud.setJobState(job, CANCELED);
    } catch (error) {
      if (error instanceof IppCloudError && error.kind === 'conflict') throw new IppStatusError(Status.notPossible, error.message);
      throw error;
    }
  }
}

/** A refusal by the cloud as the IPP status a client understands. */
function statusOfCloudError(error: unknown, compression: string): unknown {
  if (error instanceof IppCloudError) {
    switch (error.kind) {
      case 'not-found':
        return new IppStatusError(Status.notFound, error.message);
      case 'forbidden':
        return new IppStatusError(Status.notAuthorized, error.message);
      case 'too-large':
        return new IppStatusError(Status.requestEntityTooLarge, error.message);
      case 'format':
        return new IppStatusError(Status.documentFormatNotSupported, error.message);
      case 'ticket':
        return new IppStatusError(Status.attributesOrValuesNotSupported, error.message);
      default:
        return new IppStatusError(Status.badRequest, error.message);
    }
  }
  if (error instanceof ConversionError) return new IppStatusError(Status.documentFormatError, error.message);
  // The client went away in the middle of its document.
  const streamCode = (error as { code?: string }).code;
  if (streamCode === 'ERR_STREAM_PREMATURE_CLOSE' || streamCode === 'ECONNRESET' || (error as Error).message === 'aborted') {
    return new IppStatusError(Status.badRequest, 'The document ended before the request did');
  }
  // zlib's errors: the data is not what `compression` said.
  const code = (error as { code?: string }).code;
  if (compression !== 'none' && typeof code === 'string' && code.startsWith('Z_')) return new IppStatusError(Status.compressionError, `The document is not valid ${compression} data`);
  return error;
}
