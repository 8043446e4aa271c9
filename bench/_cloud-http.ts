// A lean cloud print API client for the load generators: keep-alive
// node:http requests and prebuilt multipart bodies, so that the client spends
// as little of the shared cores as it can.
import { Agent, request } from 'node:http';

export interface CloudReply {
  status: number;
  json: Record<string, any>;
}

export class CloudHttp {
  private readonly base: URL;
  private readonly agent: Agent;

  constructor(url: string, maxSockets: number) {
    this.base = new URL(url);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  post(path: string, token: string, body: Buffer | string, contentType: string): Promise<CloudReply> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.base.hostname, port: this.base.port, path: `/cloudprint/${path}`, method: 'POST', agent: this.agent, headers: { authorization: `Bearer ${token}`, 'content-type': contentType, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any> }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Submits `document` as a PDF job, the way a client's multipart form does. */
  submit(token: string, printerId: string, title: string, document: Buffer): Promise<CloudReply> {
    return this.post('submit', token, submitBody(printerId, title, document), `multipart/form-data; boundary=${BOUNDARY}`);
  }

  close(): void {
    this.agent.destroy();
  }
}

const BOUNDARY = 'ocpbenchboundary';
const TICKET = JSON.stringify({ version: '1.0', print: { copies: { copies: 1 } } });

function submitBody(printerId: string, title: string, document: Buffer): Buffer {
  const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = field('printerid', printerId) + field('title', title) + field('contentType', 'application/pdf') + field('ticket', TICKET) +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="content"; filename="doc.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), document, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
}
