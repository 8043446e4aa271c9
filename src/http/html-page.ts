// A small server-rendered page: no script (the CSP allows none), forms posted
// only to this server, never cached, never framed.
import type { FastifyReply } from 'fastify';

export const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(reply: FastifyReply, title: string, body: string, status = 200): FastifyReply {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .header('cache-control', 'no-store')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escape(title)}</title><style>body{font:16px system-ui,sans-serif;max-width:32em;margin:3em auto;padding:0 1em}label{display:block;margin:.8em 0}input{font:inherit;width:100%}.token{font:700 2.5em monospace;letter-spacing:.2em}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`);
}
