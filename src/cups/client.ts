// A CUPS client over IPP (RFC 8011) with the `ipp` package's encoding: printer
// attributes, Print-Job with the document streamed (never held in memory),
// job state and cancel. Queue names come from `lpstat -e`, CUPS's own tool.
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import ipp, { type IppMessage, type IppValue } from 'ipp';

const run = promisify(execFile);

export const PRINTER_ATTRIBUTES = [
  'printer-name', 'printer-uuid', 'printer-info', 'printer-location', 'printer-make-and-model', 'printer-state',
  'printer-state-reasons', 'printer-is-accepting-jobs', 'document-format-supported', 'copies-supported',
  'sides-supported', 'sides-default', 'print-color-mode-supported', 'print-color-mode-default', 'media-supported',
  'media-default', 'orientation-requested-supported', 'printer-resolution-supported', 'printer-resolution-default',
];

export type IppAttributes = Record<string, IppValue>;

export interface CupsJobState {
  /** IPP job-state: 3 pending, 4 held, 5 processing, 6 stopped, 7 canceled, 8 aborted, 9 completed. */
  state: number;
  reasons: string[];
  message?: string;
  impressionsCompleted?: number;
}

const JOB_STATES: Record<string, number> = { pending: 3, 'pending-held': 4, processing: 5, 'processing-stopped': 6, canceled: 7, aborted: 8, completed: 9 };

export class CupsError extends Error {}

export class CupsClient {
  /** `server` is CUPS's host:port, e.g. 127.0.0.1:631. */
  constructor(readonly server = '127.0.0.1:631') {}

  private printerUri(queue: string): string {
    return `ipp://${this.server}/printers/${encodeURIComponent(queue)}`;
  }

  /** Sends one IPP request; `document`, if given, follows the attributes. */
  private call(path: string, message: IppMessage, document?: Readable): Promise<IppMessage> {
    const [host, port] = this.server.split(':');
    return new Promise((resolve, reject) => {
      const req = request({ host, port: Number(port ?? 631), path, method: 'POST', headers: { 'content-type': 'application/ipp' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new CupsError(`CUPS answered HTTP ${res.statusCode}`));
          const reply = ipp.parse(Buffer.concat(chunks));
          const status = String(reply.statusCode ?? '');
          if (!status.startsWith('successful')) {
            const detail = reply['operation-attributes-tag']?.['status-message'];
            return reject(new CupsError(`${message.operation}: ${status}${detail ? ` (${String(detail)})` : ''}`));
          }
          resolve(reply);
        });
        res.on('error', reject);
      });
      req.on('error', (error) => reject(new CupsError(`CUPS at ${this.server}: ${error.message}`)));
      req.write(ipp.serialize(message));
      if (!document) return req.end();
      pipeline(document, req).catch(reject);
    });
  }

  private operation(name: string, queue: string, attributes: IppAttributes = {}): IppMessage {
    return {
      operation: name,
      'operation-attributes-tag': { 'attributes-charset': 'utf-8', 'attributes-natural-language': 'en', 'printer-uri': this.printerUri(queue), ...attributes },
    };
  }

  /** The names of every queue CUPS has. */
  async queues(): Promise<string[]> {
    try {
      const { stdout } = await run('lpstat', ['-h', this.server, '-e']);
      const queues = stdout.split('\n').map((line) => line.trim()).filter(Boolean);
      // lpstat -e prints nothing and exits 0 when it cannot reach CUPS: an empty list must be asked about.
      if (!queues.length) await this.requireScheduler();
      return queues;
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      // lpstat exits 1 with "No destinations added." on an empty CUPS.
      if (/no destinations/i.test(stderr)) return [];
      throw new CupsError(`lpstat: ${stderr.trim() || (error as Error).message}`);
    }
  }

  /** Throws unless the CUPS scheduler answers (lpstat -r). */
  private async requireScheduler(): Promise<void> {
    const { stdout } = await run('lpstat', ['-h', this.server, '-r']);
    if (!/^scheduler is running/m.test(stdout)) throw new CupsError(`CUPS at ${this.server} is not reachable (lpstat: ${stdout.trim() || 'no answer'})`);
  }

  async printerAttributes(queue: string): Promise<IppAttributes> {
    const reply = await this.call(`/printers/${encodeURIComponent(queue)}`, this.operation('Get-Printer-Attributes', queue, { 'requested-attributes': PRINTER_ATTRIBUTES }));
    return (reply['printer-attributes-tag'] as IppAttributes | undefined) ?? {};
  }

  /** Print-Job (RFC 8011 §4.2.1); returns the CUPS job id. */
  async printJob(queue: string, job: { title: string; user: string; format: string; attributes: IppAttributes }, document: Readable): Promise<number> {
    const message = this.operation('Print-Job', queue, { 'requesting-user-name': job.user, 'job-name': job.title, 'document-format': job.format });
    if (Object.keys(job.attributes).length) message['job-attributes-tag'] = job.attributes;
    const reply = await this.call(`/printers/${encodeURIComponent(queue)}`, message, document);
    const id = Number(reply['job-attributes-tag']?.['job-id']);
    if (!Number.isInteger(id)) throw new CupsError('Print-Job: CUPS returned no job id');
    return id;
  }

  async jobState(queue: string, jobId: number): Promise<CupsJobState> {
    const reply = await this.call('/jobs', this.operation('Get-Job-Attributes', queue, { 'job-id': jobId, 'requested-attributes': ['job-state', 'job-state-reasons', 'job-state-message', 'job-impressions-completed'] }));
    const attributes = (reply['job-attributes-tag'] ?? {}) as IppAttributes;
    const rawState = attributes['job-state'];
    const reasons = attributes['job-state-reasons'];
    return {
      state: typeof rawState === 'number' ? rawState : (JOB_STATES[String(rawState)] ?? 0),
      reasons: (Array.isArray(reasons) ? reasons : [reasons]).filter((r) => r !== undefined).map(String),
      message: attributes['job-state-message'] ? String(attributes['job-state-message']) : undefined,
      impressionsCompleted: typeof attributes['job-impressions-completed'] === 'number' ? attributes['job-impressions-completed'] : undefined,
    };
  }

  async cancelJob(queue: string, jobId: number): Promise<void> {
    await this.call('/jobs', this.operation('Cancel-Job', queue, { 'job-id': jobId, 'requesting-user-name': 'ocp-connector' }));
  }
}
