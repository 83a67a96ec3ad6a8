/**
 * A minimal browser for protocol tests: fetch with a real cookie jar (tough-cookie), manual
 * redirects, and the login form filled by its labels' field names.
 */
import { CookieJar } from 'tough-cookie';

export class TestBrowser {
  readonly jar = new CookieJar();

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = await this.jar.getCookieString(url);
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    if (!headers.has('accept')) headers.set('accept', 'text/html,application/xhtml+xml');
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const set of response.headers.getSetCookie()) await this.jar.setCookie(set, url);
    return response;
  }

  /** Follows redirects until one leaves `origin` (returned as the final Location) or a page is served. */
  async follow(
    url: string,
    origin: string,
    init: RequestInit = {},
  ): Promise<{ url: string; response?: Response }> {
    let current = url;
    let response = await this.fetch(current, init);
    for (let i = 0; i < 10 && response.status >= 300 && response.status < 400; i += 1) {
      const next = new URL(response.headers.get('location')!, current).toString();
      if (!next.startsWith(origin)) return { url: next };
      current = next;
      response = await this.fetch(current);
    }
    return { url: current, response };
  }
}

/** Extracts the login form action from the page (id="kc-form-login"). */
export function formAction(html: string, baseUrl: string): string {
  const match = /<form id="kc-form-login" action="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no login form in page: ${html.slice(0, 300)}`);
  return new URL(match[1].replace(/&amp;/g, '&'), baseUrl).toString();
}

/** Signs in through the login page and returns the final redirect to the client (with `code`). */
export async function signIn(
  browser: TestBrowser,
  authUrl: string,
  baseUrl: string,
  username: string,
  password: string,
): Promise<{ url: string; page?: string }> {
  const start = await browser.follow(authUrl, baseUrl);
  if (!start.response) return { url: start.url };
  const html = await start.response.text();
  const action = formAction(html, baseUrl);
  const posted = await browser.fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password }),
  });
  if (posted.status !== 303) return { url: action, page: await posted.text() };
  const next = new URL(posted.headers.get('location')!, action).toString();
  const done = await browser.follow(next, baseUrl);
  return { url: done.url, page: done.response ? await done.response.text() : undefined };
}
