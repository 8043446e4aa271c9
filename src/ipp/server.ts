// IPP over HTTP [RFC 8010 §4; RFC 7472 ipps]: POST application/ipp to
// /ipp/print/{printerid} on the HTTP listener (a Fastify route that hands the
// raw request over) and on an IPPS listener of its own (--ipps-port), both
// served by one handler. It reads the attributes, answers who-are-you with
// 401 + WWW-Authenticate Basic [RFC 8011 §9.2.2, RFC 7617] for every
// operation but Get-Printer-Attributes, checks the request's framing
// [RFC 8011 §4.1], and runs the operation (operations.ts). The client's
// address is Fastify's request.ip on the HTTP port (X-Forwarded-For from a
// trusted proxy) and, on the IPPS port, the peer's or the one a trusted
// proxy's PROXY header names (ipps-listener.ts). The printer's URIs name the
// host and port the client reached: behind a load balancer, the balancer's.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { attr, encodeMessage, GroupTag, ipp, IppParseError, parseRequest, ValueTag, type IppGroup, type IppMessage } from './codec.ts';
import { IPP_PATH, type IppDeps, type IppUser } from './deps.ts';
import { IppAdvertiser } from './advertise.ts';
import { ICON_PATH, ICON_PNG } from './icon.ts';
import { IppsListener } from './ipps-listener.ts';
import { ANONYMOUS_OPERATIONS, Operations, type OperationResult } from './operations.ts';
import { IppStatusError, Status } from './status.ts';

const PRINTER_PATH = /^\/ipp\/print\/([\w-]{1,64})(?:\/\d+)?\/?$/;
const REALM = 'Basic realm="OpenCloudPrint", charset="UTF-8"';

export interface IppService {
  /** Starts the IPPS listener (if configured); the ports it got, as in DATA/ports.json. */
  listen(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

function isLoopback(address: string | undefined): boolean {
  return !!address && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));
}

/** The user and password of an `Authorization: Basic` header [RFC 7617 §2]. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The host and port the client used [RFC 7230 §5.4 Host], for the URIs we answer with; no port when the Host names none. */
function requestOrigin(request: IncomingMessage): { host: string; port: number | undefined } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[\w.-]+)(?::(\d{1,5}))?$/.exec(request.headers.host ?? '');
  if (!match) return { host: '127.0.0.1', port: undefined };
  const port = Number(match[2]);
  return { host: match[1]!, port: port > 0 && port <= 65535 ? port : undefined };
}

/** RFC 8011 §4.1.4–4.1.5: attributes-charset, then attributes-natural-language, first in the operation group; a target. */
function checkFraming(message: IppMessage): void {
  if (message.requestId === 0) throw new IppStatusError(Status.badRequest, 'request-id must not be 0');
  const operation = message.groups[0];
  if (!operation || operation.tag !== GroupTag.operation) throw new IppStatusError(Status.badRequest, 'The operation attributes group must come first');
  const [charset, language] = operation.attributes;
  if (charset?.name !== 'attributes-charset' || charset.values[0]?.tag !== ValueTag.charset) throw new IppStatusError(Status.badRequest, 'attributes-charset must be the first operation attribute');
  if (language?.name !== 'attributes-natural-language' || language.values[0]?.tag !== ValueTag.naturalLanguage) {
    throw new IppStatusError(Status.badRequest, 'attributes-natural-language must be the second operation attribute');
  }
  const value = String(charset.values[0].value).toLowerCase();
  if (value !== 'utf-8' && value !== 'us-ascii') throw new IppStatusError(0x040d, `charset ${value} is not supported`);
  if (!operation.attributes.some((a) => a.name === 'printer-uri' || a.name === 'job-uri')) throw new IppStatusError(Status.badRequest, 'The request names no printer-uri');
  if (message.groups.filter((g) => g.tag === GroupTag.operation).length > 1) throw new IppStatusError(Status.badRequest, 'The operation attributes group appears twice');
}

function response(request: Pick<IppMessage, 'version' | 'requestId'>, result: OperationResult): Buffer {
  const operation: IppGroup = {
    tag: GroupTag.operation,
    attributes: [attr('attributes-charset', ipp.charset('utf-8')), attr('attributes-natural-language', ipp.language('en'))],
  };
  if (result.message) operation.attributes.push(attr('status-message', ipp.text(result.message.slice(0, 255))));
  const version = request.version.major === 1 || request.version.major === 2 ? request.version : { major: 1, minor: 1 };
  return encodeMessage({ version, code: result.status, requestId: request.requestId, groups: [operation, ...result.groups] });
}

export async function registerIpp(app: FastifyInstance, deps: IppDeps): Promise<IppService> {
  const { options, cloud, log } = deps;
  const operations = new Operations(cloud, deps.pending, options);
  let ippsListener: IppsListener | undefined;
  let ippsPort: number | undefined;
  const advertiser = options.advertise.enabled ? new IppAdvertiser(deps, options.advertise) : undefined;

  function send(res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer): void {
    res.writeHead(status, { ...headers, ...(body ? { 'content-type': 'application/ipp', 'content-length': String(body.length) } : { 'content-length': '0' }) });
    res.end(body);
  }

  /** A refused request's unread document is read and dropped, so the connection stays usable. */
  function drain(data: Readable | IncomingMessage): void {
    data.on('error', () => {});
    data.resume();
  }

  async function userOf(req: IncomingMessage, address: string): Promise<IppUser | undefined> {
    const credentials = basicCredentials(req.headers.authorization);
    if (!credentials) return undefined;
    return cloud.userByBasic(credentials.username, credentials.password, address);
  }

  /**
   * The port clients reach each listener on: the IPPS listener's
   * --ipps-public-port (or its own), the HTTP port's from --public-url when
   * that is an http:// URL (or its own).
   */
  function publicPort(secure: boolean): number | undefined {
    if (secure) return ippsPort === undefined ? undefined : options.ippsPublicPort || ippsPort;
    const url = new URL(deps.publicUrl());
    if (url.protocol === 'http:') return Number(url.port || 80);
    return (app.server.address() as AddressInfo | null)?.port;
  }

  /**
   * host:port of both listeners as the client sees them, ipp first (none for
   * IPPS without its listener): the host the client used, the port it used
   * for its own listener and the other's public one.
   */
  function authorities(req: IncomingMessage, secure: boolean): Array<{ tls: boolean; authority: string }> {
    const { host, port } = requestOrigin(req);
    return [false, true].flatMap((tls) => {
      const authorityPort = tls === secure ? (port ?? publicPort(tls)) : publicPort(tls);
      return authorityPort === undefined ? [] : [{ tls, authority: `${host}:${authorityPort}` }];
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, secure: boolean, address: string): Promise<void> {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === ICON_PATH) {
      drain(req);
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(ICON_PNG.length), 'cache-control': 'max-age=86400' });
      return void res.end(ICON_PNG);
    }
    const path = PRINTER_PATH.exec((req.url ?? '').split('?')[0]!);
    if (req.method !== 'POST' || !path) {
      drain(req);
      return send(res, path ? 405 : 404, path ? { allow: 'POST' } : {});
    }
    if (!/^application\/ipp\b/i.test(req.headers['content-type'] ?? '')) {
      drain(req);
      return send(res, 415, {});
    }
    let message: IppMessage;
    let data: Readable;
    try {
      ({ message, data } = await parseRequest(req, options.maxAttributesSize));
    } catch (error) {
      drain(req);
      if (!(error instanceof IppParseError)) throw error;
      return send(res, 200, {}, response({ version: { major: 2, minor: 0 }, requestId: 1 }, { status: Status.badRequest, message: error.message, groups: [] }));
    }
    const reply = (result: OperationResult) => {
      drain(data);
      send(res, 200, {}, response(message, result));
    };
    try {
      if (message.version.major !== 1 && message.version.major !== 2) throw new IppStatusError(Status.versionNotSupported, `IPP/${message.version.major}.${message.version.minor} is not supported`);
      checkFraming(message);
      const printer = await cloud.findPrinter(path[1]!);
      if (!printer) throw new IppStatusError(Status.notFound, 'No such printer');
      let user: IppUser | undefined;
      if (!ANONYMOUS_OPERATIONS.has(message.code)) {
        // Credentials in clear text only where nobody can read them on the way (issue 19).
        if (!secure && !options.allowBasicOverHttp && !isLoopback(address)) {
          drain(data);
          return send(res, 426, { upgrade: 'TLS/1.2, HTTP/1.1', connection: 'Upgrade' });
        }
        user = await userOf(req, address);
        if (!user) {
          drain(data);
          return send(res, 401, { 'www-authenticate': REALM });
        }
      }
      const listeners = authorities(req, secure);
      const result = await operations.run({
        message,
        data,
        printer,
        user,
        printerContext: {
          uris: listeners.map(({ tls, authority }) => `${tls ? 'ipps' : 'ipp'}://${authority}${IPP_PATH}${printer.id}`),
          icon: `${secure ? 'https' : 'http'}://${listeners.find(({ tls }) => tls === secure)!.authority}${ICON_PATH}`,
          moreInfo: `${deps.publicUrl()}/console/#printer=${printer.id}`,
          connected: printer.connected,
          queuedJobs: await cloud.queuedJobs(printer.id),
          now: Math.floor(Date.now() / 1000),
          jobTimeout: options.multipleOperationTimeout,
        },
        jobMoreInfo: (job) => `${deps.publicUrl()}/console/#job=${job.id}`,
      });
      reply(result);
    } catch (error) {
      if (error instanceof IppStatusError) {
        return reply({ status: error.status, message: error.message, groups: error.unsupported.length ? [{ tag: GroupTag.unsupported, attributes: error.unsupported }] : [] });
      }
      log.error({ err: error, printerId: path[1] }, 'ipp operation failed');
      reply({ status: Status.internalError, message: 'Internal error', groups: [] });
    }
  }

  const guarded = (secure: boolean) => (req: IncomingMessage, res: ServerResponse, address: string) => {
    // One line per request, as the other HTTP interfaces log (their Fastify hook does not see a hijacked reply).
    const started = performance.now();
    res.once('finish', () => log.info({ method: req.method, url: (req.url ?? '').split('?')[0], status: res.statusCode, secure, ms: Math.round(performance.now() - started) }, 'ipp'));
    handle(req, res, secure, address).catch((error: Error) => {
      log.error({ err: error }, 'ipp request failed');
      if (!res.headersSent) send(res, 500, {});
      else res.destroy();
    });
  };

  await app.register(async (scope) => {
    // The body is the IPP message with the document: handed to the handler unread, as a stream.
    scope.addContentTypeParser('application/ipp', (_request, _payload, done) => done(null));
    const route = (request: { raw: IncomingMessage; ip: string }, reply: { hijack(): void; raw: ServerResponse }) => {
      reply.hijack();
      guarded(false)(request.raw, reply.raw, request.ip);
    };
    scope.get(ICON_PATH, route);
    scope.post(`${IPP_PATH}:printerId`, route);
    scope.post(`${IPP_PATH}:printerId/:jobId`, route);
  });

  return {
    async listen(): Promise<Record<string, number>> {
      if (options.ippsPort >= 0) {
        ippsListener = new IppsListener({ tls: deps.tls, log, ...options.ippsConnections }, guarded(true));
        ippsPort = await ippsListener.listen(options.ippsPort, options.host);
      }
      advertiser?.start({ ipp: (app.server.address() as AddressInfo).port, ipps: ippsPort });
      return ippsPort === undefined ? {} : { ipps: ippsPort };
    },
    async close() {
      await advertiser?.stop();
      await ippsListener?.close();
    },
  };
}
