// The HTTP server every REST interface shares: body parsers for the request
// conventions real clients used (form-urlencoded, multipart, JSON, query), the
// connection limits of ../http/guard.ts, one answer for errors no route
// answered, and one log line per request. Behind trusted proxies
// (--trusted-proxies) request.ip is the client X-Forwarded-For names.
import { STATUS_CODES } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { JsonDepthError, jsonDeeperThan } from '../input-checks.ts';
import { guardHttpServer, type HttpGuardOptions } from '../http/guard.ts';
import { requestLineFields } from '../http/request-line.ts';
import { trustedProxies } from '../net/trusted-proxies.ts';

export interface HttpOptions extends HttpGuardOptions {
  log: Logger;
  maxDocumentSize: number;
  maxJsonDepth: number;
  /** The largest multipart field value read into memory (the JSON-carrying ones; others are checked per name as they are read). */
  maxFieldSize: number;
}

export function httpOptionsFrom(config: ServerConfig, log: Logger): HttpOptions {
  return {
    log,
    maxDocumentSize: config.maxDocumentSize,
    maxJsonDepth: config.maxJsonDepth,
    maxFieldSize: Math.max(config.maxFieldSize, config.maxJsonFieldSize),
    idleTimeoutMs: config.httpIdleTimeoutSeconds * 1000,
    maxConnectionsPerAddress: config.httpMaxConnectionsPerAddress,
    trustedProxies: config.trustedProxies.length ? trustedProxies(config.trustedProxies) : undefined,
  };
}

export async function createHttpApp(options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 10 * 1024 * 1024,
    // proxy-addr's rule: X-Forwarded-For is read from its right end while the hop before is a trusted proxy.
    trustProxy: options.trustedProxies ?? false,
  });
  const guard = guardHttpServer(app.server, options);
  app.addHook('onRequest', async (request, reply) => {
    if (guard.admitForwarded(request.raw, reply.raw, request.ip)) return;
    reply.header('connection', 'close');
    return reply.code(429).send({ statusCode: 429, error: STATUS_CODES[429], message: `too many open connections from ${request.ip}` });
  });
  await app.register(formbody);
  // Fastify's own JSON parser (prototype poisoning refused), behind a depth scan of the raw body.
  const parseJsonBody = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (jsonDeeperThan(body as string, options.maxJsonDepth)) return done(Object.assign(new JsonDepthError(options.maxJsonDepth), { statusCode: 400 }), undefined);
    return parseJsonBody(request, body as string, done);
  });
  // Multipart parts are streamed by the routes that take documents; the
  // limits here bound what a client can make us buffer for the other fields
  // (src/cloud/params.ts checks each field against its own, smaller limit).
  await app.register(multipart, {
    limits: { fileSize: options.maxDocumentSize, fieldSize: options.maxFieldSize, fields: 200, files: 4, parts: 250 },
  });
  app.setErrorHandler(answerError);
  app.addHook('onResponse', async (request, reply) => {
    const url = request.url.split('?')[0];
    request.log.info({ ip: request.ip, method: request.method, url, status: reply.statusCode, ms: Math.round(reply.elapsedTime), ...requestLineFields(request) }, 'http');
  });
  return app;
}

/**
 * The last word on an error no route answered itself. A client error (4xx:
 * a body that does not parse, one too large) is told what was wrong; anything
 * else is a 500 whose body says nothing about the cause (a database or
 * internal message may name tables, queries or values), logged here instead.
 */
export function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
  if (status === 500) {
    request.log.error({ err: error, method: request.method, url: request.url.split('?')[0] }, 'internal error');
    return reply.code(500).send({ statusCode: 500, error: STATUS_CODES[500], message: 'Internal server error' });
  }
  return reply.code(status).send({ statusCode: status, code: error.code, error: STATUS_CODES[status], message: error.message });
}
