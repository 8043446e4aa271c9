// The /cloudprint/* interface as one Fastify plugin built from route tables:
// each route declares its methods, who may call it, its parameters (checked
// here, listed in docs/api.md) and a handler returning the reply's fields.
// Every JSON reply is the original envelope {success, message, errorCode,
// request:{time, params, user}, ...} [GCP §a].
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../auth/http-auth.ts';
import { hashToken } from '../auth/secrets.ts';
import type { Caller } from './access.ts';
import { CloudError } from './errors.ts';
import { readRequest, shorten, type Params } from './params.ts';
import type { ReceivedDocument } from './documents.ts';
import type { CloudService } from './service.ts';

export interface ParamSpec {
  required?: boolean;
  help: string;
}

export interface CloudCall {
  params: Params;
  /** Undefined only on routes with `auth: 'optional'` or `'none'`. */
  caller: Caller | undefined;
  /** The uploaded `content` file of a route with `document: true`, not yet committed. */
  document?: ReceivedDocument;
  documentType?: string;
  request: FastifyRequest;
  reply: FastifyReply;
}

/** A handler's result: envelope fields, or `{ raw }` for a reply that is not the envelope (ticket, download). */
export type CloudResult = Record<string, unknown> | { raw: (reply: FastifyReply) => FastifyReply };

export interface CloudRoute {
  path: string;
  methods: Array<'GET' | 'POST'>;
  auth: 'required' | 'optional' | 'none';
  /** Accepts a streamed `content` document. */
  document?: boolean;
  /** May be called with a proximity token (walk-up printing to one printer); other routes refuse one. */
  proximity?: boolean;
  /** With `document`: checks the fields sent before the document, so a doomed upload is never stored. */
  beforeDocument?(params: Params, caller: Caller | undefined): Promise<void>;
  params: Record<string, ParamSpec>;
  summary: string;
  handle(call: CloudCall): Promise<CloudResult>;
}

const PROXIMITY_PREFIX = 'ocpx_';

/** The caller of a request: an access or API token, or a proximity token (GCP §a proximitytoken). */
async function authenticate(service: CloudService, request: FastifyRequest): Promise<Caller | undefined> {
  const token = bearerToken(request);
  if (!token) return undefined;
  if (token.startsWith(PROXIMITY_PREFIX)) {
    const tokenHash = hashToken(token);
    const row = await service.db
      .selectFrom('proximity_tokens')
      .innerJoin('accounts', 'accounts.id', 'proximity_tokens.user_id')
      .selectAll('accounts')
      .select(['proximity_tokens.printer_id', 'proximity_tokens.expires_at'])
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (row && row.expires_at > Date.now()) {
      const { printer_id, expires_at: _expires, ...account } = row;
      return { account, proximity: { printerId: printer_id, tokenHash } };
    }
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

export function registerCloudRoutes(app: FastifyInstance, service: CloudService, routes: CloudRoute[], prefix = '/cloudprint/'): void {
  for (const route of routes) {
    app.route({
      method: route.methods,
      url: prefix + route.path,
      handler: async (request, reply) => {
        let params: Params | undefined;
        let caller: Caller | undefined;
        let document: ReceivedDocument | undefined;
        try {
          caller = route.auth === 'none' ? undefined : await authenticate(service, request);
          if (route.auth === 'required' && !caller) throw new CloudError('UNAUTHENTICATED', 'This call needs an Authorization header with a Bearer or OAuth token');
          if (caller?.proximity && !route.proximity) throw new CloudError('FORBIDDEN', `A proximity token cannot call /${route.path}`);
          const documents = route.document
            ? { store: service.documents, maxDocumentSize: service.config.maxDocumentSize, beforeDocument: route.beforeDocument && ((early: Params) => route.beforeDocument!(early, caller)) }
            : undefined;
          const read = await readRequest(request, { field: service.config.maxFieldSize, jsonField: service.config.maxJsonFieldSize, jsonDepth: service.config.maxJsonDepth }, documents);
          params = read.params;
          document = read.document;
          for (const [name, spec] of Object.entries(route.params)) if (spec.required) params.require(name);
          const result = await route.handle({ params, caller, document: read.document, documentType: read.documentType, request, reply });
          // A document the handler did not commit (a reply that needs none) goes before the reply does.
          await service.documents.discard(document);
          if ('raw' in result && typeof result.raw === 'function') return result.raw(reply);
          return reply.send({ success: true, ...result, request: requestEcho(params, userOf(caller, service.config.domain)) });
        } catch (error) {
          await service.documents.discard(document);
          if (!(error instanceof CloudError)) throw error;
          if (error.status >= 500) request.log.error({ err: error }, 'cloudprint error');
          return reply.code(error.status).send(errorReply(error, params, userOf(caller, service.config.domain)));
        } finally {
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
