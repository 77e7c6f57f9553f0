import type { TestApp } from './test-app';

/** A tiny cookie jar over the in-process app: what Set-Cookie gave, sent back as Cookie. */
export class DashboardBrowser {
  cookies = new Map<string, string>();
  constructor(
    private readonly t: TestApp,
    private readonly base = 'http://dash.test',
  ) {}
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const response = await this.t.app.request(`${this.base}${path}`, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair!.split('=') as [string, string];
      if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }
  post(path: string, form: Record<string, string>) {
    return this.fetch(path, {
      method: 'POST',
      body: new URLSearchParams(form),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  }
  /** The CSRF token a page's forms carry. */
  async token(path: string): Promise<string> {
    const html = await (await this.fetch(path)).text();
    return /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  }
  async signIn(apiKey: string, next = ''): Promise<Response> {
    const csrf = await this.token('/app/login');
    return this.post(`/app/login${next}`, { csrf, apiKey });
  }
}
