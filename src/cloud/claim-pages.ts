// The small server-rendered pages of anonymous registration [GCP §b2]:
// the claim page (invite_url / complete_invite_url) where a user signs in with
// email and password and confirms, the printable token page (invite_page_url)
// and the confirmation page the device may show (confirmation_page_url).
// Every claim re-checks the password, so the form needs no session or CSRF token.
import { AuthError } from '../auth/accounts.ts';
import type { FastifyInstance } from 'fastify';
import { escape, page } from '../http/html-page.ts';
import { CloudError } from './errors.ts';
import { textField } from '../http/fields.ts';
import { nulField } from '../input-checks.ts';
import { claimPrinter } from './registration.ts';
import type { CloudService } from './service.ts';

function claimForm(token: string, message = ''): string {
  return `${message ? `<p role="alert">${escape(message)}</p>` : ''}
<p>Sign in to add the printer showing this registration token to your account.</p>
<form method="post" action="claimprinter.html">
<label>Registration token <input name="token" value="${escape(token)}" required autocomplete="off"></label>
<label>Email <input name="email" type="email" required autocomplete="username"></label>
<label>Password <input name="password" type="password" required autocomplete="current-password"></label>
<button>Claim printer</button></form>`;
}

/** A query or form field as text; absent, repeated or not a string, it is empty. */
const field = (source: unknown, name: string): string => textField(source, name) ?? '';

export function registerClaimPages(app: FastifyInstance, service: CloudService): void {
  app.get('/cloudprint/claimprinter.html', (request, reply) => page(reply, 'Claim a printer', claimForm(field(request.query, 'token'))));

  app.post('/cloudprint/claimprinter.html', async (request, reply) => {
    const token = field(request.body, 'token');
    const email = field(request.body, 'email');
    const password = field(request.body, 'password');
    const nul = nulField(request.body);
    if (nul !== undefined) return page(reply, 'Claim a printer', claimForm(token, `The ${nul} contains a NUL character.`), 400);
    let user;
    try {
      user = await service.accounts.checkPassword(email, password, request.ip);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return page(reply, 'Claim a printer', claimForm(token, `Too many failed sign-ins. Try again in ${error.retryAfterSeconds ?? 60} s.`), 429);
    }
    if (!user) return page(reply, 'Claim a printer', claimForm(token, 'Wrong email or password.'), 401);
    try {
      const printerId = await claimPrinter(service, token, user);
      const printer = await service.db.selectFrom('printers').select('name').where('id', '=', printerId).executeTakeFirstOrThrow();
      return page(reply, 'Printer claimed', `<p>“${escape(printer.name)}” now belongs to ${escape(user.email ?? '')}. The printer finishes its set-up by itself.</p>`);
    } catch (error) {
      if (!(error instanceof CloudError)) throw error;
      return page(reply, 'Claim a printer', claimForm(token, error.message), error.status === 200 ? 400 : error.status);
    }
  });

  app.get('/cloudprint/regtokenpage', (request, reply) => {
    const token = field(request.query, 't');
    const url = `${service.publicUrl()}/cloudprint/claimprinter.html?token=${encodeURIComponent(token)}`;
    return page(reply, 'Printer registration', `<p>To add this printer, open <b>${escape(url)}</b> and sign in, or enter this token:</p><p class="token">${escape(token)}</p>`);
  });

  app.get('/cloudprint/regconfirmpage', (request, reply) => {
    return page(reply, 'Printer registered', `<p>“${escape(field(request.query, 'printername'))}” is registered to ${escape(field(request.query, 'email'))}.</p>`);
  });
}
