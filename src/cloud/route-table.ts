// The /cloudprint/* interface as one Fastify plugin built from route tables:
// each route declares who may call it, its parameters (checked here, listed
// in docs/api.md) and a handler returning the reply's fields. Every route
// answers GET with query parameters as it answers POST (methodsOf), as
// Google's service did.
// Every JSON reply is the original envelope {success, message, errorCode,
// request:{time, params, user}, ...} [GCP §a].
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../auth/http-auth.ts';
import { noteOnRequestLine } from '../http/request-line.ts';
import { hashToken } from '../auth/secrets.ts';
import type { Caller } from './access.ts';
import { CloudError } from './errors.ts';
import { proximityTokenOwner } from './sharing.ts';
import { readRequest, shorten, type DocumentOptions, type FieldLimits, type Params, type ReadRequest } from './params.ts';
import type { ReceivedDocument } from './documents.ts';
import type { CloudService } from './service.ts';

export interface ParamSpec {
  required?: boolean;
  help: string;
}

/** What a handler is given. `C` is the caller its route's `auth` mode guarantees. */
export interface CloudCall<C extends Caller | undefined = Caller> {
  service: CloudService;
  params: Params;
  caller: C;
  /** The client's address (the request's IP). */
  address: string;
}

/** What the handler of a route with `document: true` is given. */
export interface DocumentCall<Prepared> extends CloudCall<Caller> {
  /** The uploaded `content` file, not yet committed: the route table discards it unless the handler commits it. */
  document: ReceivedDocument | undefined;
  documentType: string | undefined;
  /** What `prepare` returned, when it ran (a document came, after the fields it looks at). */
  prepared: Prepared | undefined;
}

/** A handler's result: envelope fields, or `{ raw }` for a reply that is not the envelope (ticket, download). */
export type CloudResult = Record<string, unknown> | { raw: (reply: FastifyReply) => FastifyReply };

interface RouteInfo {
  path: string;
  /** May be called with a proximity token (walk-up printing to one printer); other routes refuse one. */
  proximity?: boolean;
  params: Record<string, ParamSpec>;
  summary: string;
}

/** A route for signed-in callers only: its handler always has one. */
export interface SignedInRoute extends RouteInfo {
  auth: 'required';
  document?: false;
  handle: (call: CloudCall<Caller>) => Promise<CloudResult>;
}

/** A route anyone may call, signed in or not: the handler must handle both. */
export interface OptionalCallerRoute extends RouteInfo {
  auth: 'optional';
  document?: false;
  handle: (call: CloudCall<Caller | undefined>) => Promise<CloudResult>;
}

/** A route that never looks at a token: its handler has no caller. */
export interface PublicRoute extends RouteInfo {
  auth: 'none';
  document?: false;
  handle: (call: CloudCall<undefined>) => Promise<CloudResult>;
}

/** A signed-in route that accepts a streamed `content` document. */
export interface DocumentRoute<Prepared = unknown> extends RouteInfo {
  auth: 'required';
  document: true;
  /**
   * Runs on the fields sent before the document, so a doomed upload is never
   * stored; what it returns reaches the handler as `prepared`.
   */
  prepare?: (params: Params, caller: Caller) => Promise<Prepared | undefined>;
  handle(call: DocumentCall<Prepared>): Promise<CloudResult>;
}

export type CloudRoute = SignedInRoute | OptionalCallerRoute | PublicRoute | DocumentRoute;

/**
 * A document route whose `prepare` and handler agree on what is prepared.
 * (The other routes' `handle` is a function property, checked strictly: a
 * handler that needs a caller cannot serve a route that may have none.
 * DocumentRoute's is a method, so that any DocumentRoute<Prepared> fits
 * CloudRoute; this function is where the two are checked to agree.)
 */
export function documentRoute<Prepared>(route: DocumentRoute<Prepared>): DocumentRoute {
  return route;
}

/**
 * The methods of a route: GET and POST alike for every interface (Google's
 * service took both; certification tooling calls `GET deletejob?jobid=…`),
 * with the same parameters, authentication and answers. A route that takes
 * a document (`submit`) is POST only: the document is a multipart part,
 * which a GET has no body to carry, and an inline document in a URL would
 * be written to every access log and proxy on its way. GET changing state
 * is no CSRF hole here: /cloudprint authenticates only by the Authorization
 * header, which a browser never adds to a cross-site request by itself.
 */
export function methodsOf(route: CloudRoute): Array<'GET' | 'POST'> {
  return route.document ? ['POST'] : ['GET', 'POST'];
}

const PROXIMITY_PREFIX = 'ocpx_';

/** The caller of a request: an access or API token, or a proximity token (GCP §a proximitytoken). */
async function authenticate(service: CloudService, request: FastifyRequest): Promise<Caller | undefined> {
  const token = bearerToken(request);
  if (!token) return undefined;
  if (token.startsWith(PROXIMITY_PREFIX)) {
    const tokenHash = hashToken(token);
    const holder = await proximityTokenOwner(service.db, tokenHash);
    if (holder) return { account: holder.account, proximity: { printerId: holder.printerId, tokenHash } };
  } else {
    const account = await service.accounts.authenticate(token);
    // CCS devices register anonymously (/ccs/register); their tokens are for /ccs and XMPP only.
    if (account?.kind === 'device') throw new CloudError('FORBIDDEN', 'Device credentials cannot use the cloud print interface');
    if (account) return { account };
  }
  throw new CloudError('UNAUTHENTICATED', 'The access token is invalid or expired');
}

/** `request.user`: the caller's email, or a robot's JID. */
function userOf(caller: Caller | undefined, domain: string): string {
  if (!caller) return '';
  return caller.account.email ?? `${caller.account.jid_local}@${domain}`;
}

function requestEcho(params: Params | undefined, user: string, shortened = false) {
  return { time: '0', params: params?.echo(shortened) ?? {}, user };
}

const MAX_MESSAGE_CHARS = 1024;

/** An error reply never carries a large value back: long parameters and messages are cut. */
function errorReply(error: CloudError, params: Params | undefined, user: string) {
  return { success: false, message: shorten(error.message, MAX_MESSAGE_CHARS), errorCode: error.errorCode, request: requestEcho(params, user, true) };
}

/** What a request got to before it failed: its error reply echoes it, and a received document is discarded. */
interface Progress {
  params?: Params;
  caller?: Caller;
  document?: ReceivedDocument;
}

function fieldLimits(service: CloudService): FieldLimits {
  return { field: service.config.maxFieldSize, jsonField: service.config.maxJsonFieldSize, jsonDepth: service.config.maxJsonDepth };
}

/** Reads the request's parameters (and document, with `documents`) and checks the route's required ones. */
async function readFor(service: CloudService, route: CloudRoute, request: FastifyRequest, progress: Progress, documents?: DocumentOptions): Promise<ReadRequest> {
  const read = await readRequest(request, fieldLimits(service), documents);
  progress.params = read.params;
  progress.document = read.document;
  for (const [name, spec] of Object.entries(route.params)) if (spec.required) read.params.require(name);
  return read;
}

function refuseProximity(route: CloudRoute, caller: Caller | undefined): void {
  if (caller?.proximity && !route.proximity) throw new CloudError('FORBIDDEN', `A proximity token cannot call /${route.path}`);
}

async function runDocumentRoute<Prepared>(service: CloudService, route: DocumentRoute<Prepared>, request: FastifyRequest, caller: Caller, progress: Progress): Promise<CloudResult> {
  const { prepare } = route;
  let prepared: Prepared | undefined;
  const documents: DocumentOptions = {
    store: service.documents,
    maxDocumentSize: service.config.maxDocumentSize,
    beforeDocument: prepare && (async (early) => void (prepared = await prepare(early, caller))),
  };
  const { params, document, documentType } = await readFor(service, route, request, progress, documents);
  return route.handle({ service, params, caller, address: request.ip, document, documentType, prepared });
}

/** Authenticates the caller as the route's `auth` mode asks, reads the request and runs the handler. */
async function runRoute(service: CloudService, route: CloudRoute, request: FastifyRequest, progress: Progress): Promise<CloudResult> {
  const address = request.ip;
  if (route.auth === 'none') {
    const { params } = await readFor(service, route, request, progress);
    return route.handle({ service, params, caller: undefined, address });
  }
  const caller = (progress.caller = await authenticate(service, request));
  if (route.auth === 'optional') {
    refuseProximity(route, caller);
    const { params } = await readFor(service, route, request, progress);
    return route.handle({ service, params, caller, address });
  }
  if (!caller) throw new CloudError('UNAUTHENTICATED', 'This call needs an Authorization header with a Bearer or OAuth token');
  refuseProximity(route, caller);
  if (route.document) return runDocumentRoute(service, route, request, caller, progress);
  const { params } = await readFor(service, route, request, progress);
  return route.handle({ service, params, caller, address });
}

export function registerCloudRoutes(app: FastifyInstance, service: CloudService, routes: CloudRoute[], prefix = '/cloudprint/'): void {
  for (const route of routes) {
    app.route({
      method: methodsOf(route),
      url: prefix + route.path,
      // A HEAD would run the handler (a GET deletejob deletes) for an answer nobody reads.
      exposeHeadRoute: false,
      handler: async (request, reply) => {
        const progress: Progress = {};
        try {
          const result = await runRoute(service, route, request, progress);
          // A document the handler did not commit (a reply that needs none) goes before the reply does.
          await service.documents.discard(progress.document);
          if ('raw' in result && typeof result.raw === 'function') return result.raw(reply);
          return reply.send({ success: true, ...result, request: requestEcho(progress.params, userOf(progress.caller, service.config.domain)) });
        } catch (error) {
          await service.documents.discard(progress.document);
          if (!(error instanceof CloudError)) throw error;
          if (error.status >= 500) request.log.error({ err: error }, 'cloudprint error');
          return reply.code(error.status).send(errorReply(error, progress.params, userOf(progress.caller, service.config.domain)));
        } finally {
          noteOnRequestLine(request, { account: progress.caller?.account.id, printerId: progress.params?.get('printerid') });
          // Drain an unread body so a refused upload does not leave the connection stuck.
          if (request.isMultipart() && !request.raw.readableEnded) request.raw.resume();
        }
      },
    });
  }
}

/** Fastify's own errors on /cloudprint (bad body encoding, body too large) in the envelope. */
export function cloudErrorHandler(error: Error & { statusCode?: number; code?: string }, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500;
  if (status >= 500) {
    request.log.error({ err: error }, 'cloudprint internal error');
    return reply.code(500).send({ success: false, message: 'Internal server error', errorCode: 500 });
  }
  const kind = status === 413 ? 'DOCUMENT_TOO_LARGE' : error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError ? 'INVALID_JSON' : 'MALFORMED_REQUEST';
  const cloudError = new CloudError(kind, `Malformed request: ${error.message}`, status);
  return reply.code(status).send(errorReply(cloudError, undefined, ''));
}
