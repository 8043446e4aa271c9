// What the one log line per HTTP request says beyond method, URL and status:
// a route that learns who is calling (the account) and about what (the
// printer) notes it here, and src/server/http.ts writes it on the line.
import type { FastifyRequest } from 'fastify';

export interface RequestLineFields {
  account?: string;
  printerId?: string;
}

const noted = new WeakMap<FastifyRequest, RequestLineFields>();

export function noteOnRequestLine(request: FastifyRequest, fields: RequestLineFields): void {
  const known = noted.get(request) ?? {};
  for (const [key, value] of Object.entries(fields)) if (value) known[key as keyof RequestLineFields] = value;
  noted.set(request, known);
}

export function requestLineFields(request: FastifyRequest): RequestLineFields {
  return noted.get(request) ?? {};
}
