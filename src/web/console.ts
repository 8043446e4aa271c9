// The web console: static pages under /console, served from src/web/console.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
};

export function registerConsole(app: FastifyInstance): void {
  // Read once at start-up: three small files, served from memory.
  const contents = Object.fromEntries(Object.keys(FILES).map((name) => [name, readFileSync(new URL(`./console/${name}`, import.meta.url))]));
  const headers = (name: string) => ({
    'content-type': FILES[name] as string,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'",
  });
  app.get('/', (_request, reply) => reply.redirect('/console/'));
  app.get('/favicon.ico', (_request, reply) => reply.code(204).send());
  app.get('/console/', (_request, reply) => reply.headers(headers('index.html')).send(contents['index.html']));
  for (const name of ['console.js', 'console.css']) {
    app.get(`/console/${name}`, (_request, reply) => reply.headers(headers(name)).send(contents[name]));
  }
}
