// The HTTP server every REST interface shares: body parsers for the request
// conventions real clients used (form-urlencoded, multipart, JSON, query) and
// one log line per request.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import multipart from '@fastify/multipart';
import type { Logger } from '../log.ts';
import { JsonDepthError, jsonDeeperThan } from '../input-checks.ts';

export interface HttpOptions {
  log: Logger;
  maxDocumentSize: number;
  maxJsonDepth: number;
}

export async function createHttpApp(options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 10 * 1024 * 1024,
    trustProxy: false,
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
  // limits here bound what a client can make us buffer for the other fields.
  await app.register(multipart, {
    limits: { fileSize: options.maxDocumentSize, fieldSize: 10 * 1024 * 1024, fields: 200, files: 4, parts: 250 },
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info({ method: request.method, url: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'http');
  });
  return app;
}

/**
 * A field of a parsed query string or body (form or JSON) as text: undefined
 * when absent, repeated (an array) or not a string, so that a route never
 * meets a value of a type it did not expect.
 */
export function textField(source: unknown, name: string): string | undefined {
  const value = (source as Record<string, unknown> | null | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
}
