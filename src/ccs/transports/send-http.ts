// The legacy HTTP send endpoint beside the CCS (§7):
// POST /gcm/send and /fcm/send with `Authorization: key=API_KEY`, JSON
// (`to`, `registration_ids` up to 1000 or `condition`) or the form-encoded
// plain-text variant, answered in the original's formats. Messages take the
// same validation, store and delivery path as the XMPP endpoint.
import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../../config.ts';
import type { CcsService } from '../service/index.ts';
import { serverMessageId } from '../service/downstream.ts';
import { InvalidMessage, MAX_MULTICAST, parseJsonObject, refuseNulFields, validateDownstream, type DownstreamRequest, type Rejection } from '../service/messages.ts';

type Json = Record<string, unknown>;

/** One result per recipient, in request order (§7). */
type Result = { message_id: string } | { error: string };

function apiKeyOf(request: FastifyRequest): string | undefined {
  return /^key=(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
}

/** A random positive 53-bit id: JSON numbers above that lose precision in JavaScript clients. */
function multicastId(): number {
  return randomInt(1, 2 ** 47) * 64 + randomInt(0, 64);
}

/** The plain-text variant's fields as the JSON request they stand for (§7). */
function plainTextRequest(body: string): { json: Json; token: string | undefined; badTtl: boolean } {
  const form = new URLSearchParams(body);
  const json: Json = {};
  const data: Record<string, string> = {};
  for (const [key, value] of form) if (key.startsWith('data.')) data[key.slice(5)] = value;
  if (Object.keys(data).length) json.data = data;
  const collapseKey = form.get('collapse_key');
  if (collapseKey !== null) json.collapse_key = collapseKey;
  const flag = (value: string | null) => value !== null && /^(1|true)$/i.test(value);
  if (flag(form.get('delay_while_idle'))) json.delay_while_idle = true;
  if (flag(form.get('dry_run'))) json.dry_run = true;
  const ttl = form.get('time_to_live');
  const badTtl = ttl !== null && !/^\d+$/.test(ttl);
  if (ttl !== null && !badTtl) json.time_to_live = Number(ttl);
  return { json, token: form.get('registration_id') ?? undefined, badTtl };
}

export function registerSendRoutes(app: FastifyInstance, ccs: CcsService, config: Pick<ServerConfig, 'maxJsonDepth'>): void {
  // Own body parsing: the original answered unparsable JSON with its own
  // 400 text, and treated a missing Content-Type as plain text.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    for (const path of ['/gcm/send', '/fcm/send']) scope.post(path, (request, reply) => send(request, reply));
  });

  async function send(request: FastifyRequest, reply: FastifyReply) {
    const apiKey = apiKeyOf(request);
    const sender = apiKey ? await ccs.senders.byApiKey(apiKey) : undefined;
    if (!sender) return reply.code(401).type('text/plain').send('Unauthorized: missing or invalid Authorization: key=API_KEY\n');
    const body = typeof request.body === 'string' ? request.body : '';
    const isJson = /^application\/json\b/i.test(request.headers['content-type'] ?? '');
    try {
      return isJson ? await sendJson(reply, sender.sender_id, body) : await sendPlainText(reply, sender.sender_id, body);
    } catch (error) {
      request.log.error({ err: error }, 'ccs: /gcm/send failed');
      return reply.code(500).header('retry-after', '10').type('text/plain').send('Internal Server Error\n');
    }
  }

  async function deliver(senderId: string, request: DownstreamRequest, tokens: Array<string | undefined>): Promise<Result[]> {
    return Promise.all(
      tokens.map(async (to): Promise<Result> => {
        const messageId = serverMessageId(Date.now());
        const outcome = await ccs.downstream.submit({ senderId, request: { ...request, ...(to !== undefined ? { to } : {}), messageId }, dedupe: false });
        return outcome.ok ? { message_id: messageId } : { error: outcome.rejection.httpError ?? 'InternalServerError' };
      }),
    );
  }

  async function sendJson(reply: FastifyReply, senderId: string, body: string) {
    let json: Json;
    try {
      json = parseJsonObject(body, config.maxJsonDepth);
    } catch (error) {
      return reply.code(400).type('text/plain').send(`JSON_PARSING_ERROR: ${(error as Error).message}\n`);
    }
    let tokens: Array<string | undefined>;
    const ids = json.registration_ids;
    if (ids !== undefined) {
      if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) return reply.code(400).type('text/plain').send('Field "registration_ids" must be a JSON array of strings\n');
      if (ids.length > MAX_MULTICAST) return reply.code(400).type('text/plain').send(`Number of messages on bulk (${ids.length}) exceeds maximum allowed (${MAX_MULTICAST})\n`);
      tokens = ids as string[];
    } else tokens = [undefined];
    let results: Result[];
    let request: DownstreamRequest | undefined;
    try {
      refuseNulFields(json); // registration_ids too, which the request below leaves out
      if (ids === undefined && json.to === undefined && json.condition === undefined) throw new InvalidMessage({ code: 'INVALID_JSON', description: 'Missing Required Field: to', httpError: 'MissingRegistration' });
      request = validateDownstream({ ...json, registration_ids: undefined }, '', { requireTarget: false });
      results = await deliver(senderId, request, tokens);
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      const rejection: Rejection = error.rejection;
      if (!rejection.httpError) return reply.code(400).type('text/plain').send(rejection.description.replace(/^InvalidJson: /, '') + '\n');
      results = tokens.map(() => ({ error: rejection.httpError! }));
    }
    // A topic or condition send is answered with one message_id (FCM).
    if (request && ids === undefined && (request.topic !== undefined || request.condition !== undefined)) {
      const [result] = results;
      return reply.send(result && 'message_id' in result ? { message_id: multicastId() } : result);
    }
    const success = results.filter((r) => 'message_id' in r).length;
    return reply.send({ multicast_id: multicastId(), success, failure: results.length - success, canonical_ids: 0, results });
  }

  async function sendPlainText(reply: FastifyReply, senderId: string, body: string) {
    const { json, token, badTtl } = plainTextRequest(body);
    const text = (line: string) => reply.type('text/plain').send(line + '\n');
    if (!token) return text('Error=MissingRegistration');
    if (badTtl) return text('Error=InvalidTtl');
    let result: Result;
    try {
      const [first] = await deliver(senderId, validateDownstream({ ...json, to: token }, ''), [token]);
      result = first!;
    } catch (error) {
      if (!(error instanceof InvalidMessage)) throw error;
      result = { error: error.rejection.httpError ?? 'InvalidParameters' };
    }
    if ('message_id' in result) return text(`id=${result.message_id}`);
    // §7: the plain-text variant never answers Unavailable; it returns 500 instead.
    if (result.error === 'Unavailable' || result.error === 'InternalServerError') return reply.code(500).header('retry-after', '10').type('text/plain').send('Error=' + result.error + '\n');
    return text(`Error=${result.error}`);
  }
}
