// A person at the device flow's verification page (/device): opens it, as a
// browser would keep its cookies, and posts its form.
export class DevicePageVisitor {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly baseUrl: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private keep(response: Response): void {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair!.split('=');
      this.cookies.set(name!.trim(), value.join('='));
    }
  }

  /** GET /device; resolves to the page's HTML and its form's CSRF token. */
  async open(userCode = ''): Promise<{ status: number; html: string; csrf: string }> {
    const response = await fetch(`${this.baseUrl}/device${userCode ? `?user_code=${encodeURIComponent(userCode)}` : ''}`, { headers: { cookie: this.cookieHeader() } });
    this.keep(response);
    const html = await response.text();
    return { status: response.status, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  }

  /** POSTs the form as the browser would send it; `csrf` defaults to a freshly opened page's. */
  async submit(fields: Record<string, string>): Promise<{ status: number; html: string }> {
    const csrf = fields.csrf ?? (await this.open()).csrf;
    const response = await fetch(`${this.baseUrl}/device`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookieHeader() },
      body: new URLSearchParams({ ...fields, csrf }),
    });
    this.keep(response);
    return { status: response.status, html: await response.text() };
  }

  forget(name: string): void {
    this.cookies.delete(name);
  }
}
