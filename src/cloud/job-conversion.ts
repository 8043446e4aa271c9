// Jobs whose printer cannot take their document [GCP §a `submit`, §d].
// Google's service took PDF, PostScript, JPEG, PNG, GIF, TIFF, SVG, HTML and
// plain text for any printer and converted them to a type of the printer's
// supported_content_type (§f). Such a job is stored IN_PROGRESS with
// `converting_to` set, so `fetch` (QUEUED only) does not hand it out; the
// converter (src/cloud/conversion/) runs off the request path, and the job
// becomes QUEUED with the converted document, and the printer is told, or
// ABORTED with the service_action_cause of the failure; either way the
// printer's watchers hear of it. A server that
// stopped mid-conversion converts such jobs again at its next start.
// `download?forcepwg=1` serves PWG raster, converted on the fly. The tools
// read and write files of this node: the document store gives the source as
// one (with --documents database, a copy on this node's disk) and takes the
// result back.
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { ConversionFailure, ConversionStopped, isRaster, PWG_RASTER } from './conversion/index.ts';
import { CloudError } from './errors.ts';
import { abortConversion, finishConversion, getJob, jobsAwaitingConversion, type JobRow } from './jobs.ts';
import { getPrinter } from './printers.ts';
import { notifyDevice, printerChanged, type CloudService } from './service.ts';
import { acceptsContentType } from './shapes.ts';

type Json = Record<string, any>;

/**
 * For a submit: undefined when the printer takes `contentType` as it is,
 * else the type the document is converted to. Refused (415) when there is
 * no way to a type the printer takes.
 */
export function conversionTarget(service: CloudService, capabilities: Json, contentType: string): string | undefined {
  if (acceptsContentType(capabilities, contentType)) return undefined;
  const target = service.converter.targetFor(capabilities, contentType);
  if (!target) throw new CloudError('UNSUPPORTED_CONTENT_TYPE', `The printer does not accept ${contentType}, and the cloud cannot convert it to a type the printer accepts`);
  return target;
}

/** Converts a job's document in the background; the job records the outcome. */
export function convertJob(service: CloudService, jobId: string): void {
  service.converter.track(
    convertNow(service, jobId).catch((error: Error) => {
      if (error instanceof ConversionStopped) service.log.info({ jobId }, 'conversion stopped with the server; the job is converted again at the next start');
      else service.log.error({ err: error, jobId }, 'job conversion failed; the job is converted again at the next start');
    }),
  );
}

async function convertNow(service: CloudService, jobId: string): Promise<void> {
  const job = await getJob(service.db, jobId).catch(() => undefined);
  if (!job || job.status !== 'IN_PROGRESS' || !job.converting_to || !job.document_path) return;
  const printer = await getPrinter(service.db, job.printer_id);
  const { documents } = service;
  const input = await documents.localCopy(job.document_path);
  if (!input) throw new Error(`the document of job ${jobId} is gone`);
  const output = documents.tempFile();
  const started = Date.now();
  try {
    await service.converter.convert(
      { input: input.path, contentType: job.content_type, target: job.converting_to, ticket: JSON.parse(job.ticket) as Json, capabilities: JSON.parse(printer.capabilities) as Json },
      output,
    );
  } catch (error) {
    await rm(output, { force: true });
    if (!(error instanceof ConversionFailure)) throw error;
    service.log.warn({ jobId, contentType: job.content_type, cause: error.errorCode, reason: error.message }, 'document could not be converted; job aborted');
    if (await abortConversion(service.db, jobId, error.errorCode)) printerChanged(service, job.printer_id, 'jobs');
    return;
  } finally {
    await input.release();
  }
  const converted = await documents.adopt(output);
  // A new name per try: another node converting the same job after a restart must not overwrite it.
  const name = `${job.id}-${converted.sha256.slice(0, 16)}-${Date.now().toString(36)}`;
  await documents.commit(converted, name);
  const finished = await finishConversion(service.db, jobId, { content_type: job.converting_to, document_path: name, document_size: converted.size, document_sha256: converted.sha256 }).catch(async (error: unknown) => {
    await documents.remove(name);
    throw error;
  });
  if (!finished) {
    await documents.remove(name);
    return;
  }
  await documents.remove(job.document_path);
  service.log.info({ jobId, from: job.content_type, to: job.converting_to, ms: Date.now() - started, size: converted.size }, 'document converted');
  printerChanged(service, printer.id, 'jobs');
  await notifyDevice(service, printer, 'jobs');
}

/** At start-up: the jobs a stopped server left mid-conversion are converted again. */
export async function resumeConversions(service: CloudService): Promise<void> {
  for (const id of await jobsAwaitingConversion(service.db)) convertJob(service, id);
}

export interface ServedDocument {
  contentType: string;
  size: number;
  etag: string;
  stream: Readable;
}

/** What `download` sends: the job's document, or with forcepwg=1 [GCP §a `fileUrl`] the document as PWG raster. */
export async function documentToServe(service: CloudService, job: JobRow, forcePwg: boolean): Promise<ServedDocument> {
  const path = job.document_path;
  if (!path) throw new CloudError('DOCUMENT_NOT_FOUND', `Job ${job.id} has no document (a reported local job)`);
  if (job.converting_to && job.status === 'IN_PROGRESS') throw new CloudError('DOCUMENT_NOT_FOUND', `The document of job ${job.id} is being converted; the job is QUEUED once it is ready`);
  const etag = `"${job.document_sha256 ?? job.id}"`;
  if (!forcePwg || isRaster(job.content_type)) {
    const stored = await service.documents.open(path);
    if (!stored) throw gone(job);
    return { contentType: job.content_type, size: stored.size, etag, stream: stored.stream };
  }

  const printer = await getPrinter(service.db, job.printer_id);
  const input = await service.documents.localCopy(path);
  if (!input) throw gone(job);
  const output = service.documents.tempFile();
  try {
    await service.converter.convert({ input: input.path, contentType: job.content_type, target: PWG_RASTER, ticket: JSON.parse(job.ticket) as Json, capabilities: JSON.parse(printer.capabilities) as Json }, output);
  } catch (error) {
    await rm(output, { force: true });
    if (error instanceof ConversionFailure) throw new CloudError('UNSUPPORTED_CONTENT_TYPE', `The document of job ${job.id} cannot be served as PWG raster: ${error.message}`);
    throw error;
  } finally {
    await input.release();
  }
  const raster = await stat(output);
  const stream = createReadStream(output);
  stream.on('close', () => void rm(output, { force: true }));
  return { contentType: PWG_RASTER, size: raster.size, etag: `"${job.document_sha256 ?? job.id}-pwg"`, stream };
}

function gone(job: JobRow): CloudError {
  return new CloudError('DOCUMENT_NOT_FOUND', `The document of job ${job.id} is gone`);
}
