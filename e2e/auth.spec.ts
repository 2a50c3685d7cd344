import type { Page } from '@playwright/test';
import { expect, SERVER_ONLY, test } from './fixtures.ts';
import { startServer } from './support/server.ts';

/** The page's address without the token: its origin and `/`, no query (the fragment names the page's place, url-state.ts). */
const tokenless = (origin: string) => (url: URL) => url.origin === origin && url.pathname === '/' && url.search === '';

const portOf = (origin: string) => new URL(origin).port;

/** Whether a script of this page can open the API WebSocket (the browser adds the cookies itself). */
function canOpenApi(page: Page, token: string | null): Promise<boolean> {
  const url = `${new URL(page.url()).origin.replace(/^http/, 'ws')}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  return page.evaluate((u) => {
    return new Promise<boolean>((resolve) => {
      const ws = new WebSocket(u);
      ws.onopen = () => {
        ws.close();
        resolve(true);
      };
      ws.onerror = () => resolve(false);
    });
  }, url);
}

test.describe('server mode access', () => {
  test.skip(({ shell }) => shell !== 'web', SERVER_ONLY);

  test('refuses the page without the token; the tokened URL serves it with a port-named cookie that is not the token', async ({ server, playwright }) => {
    const bare = await playwright.request.newContext();
    try {
      expect((await bare.get(`${server.origin}/`, { maxRedirects: 0 })).status()).toBe(401);
      expect((await bare.get(`${server.origin}/index.html`, { maxRedirects: 0 })).status()).toBe(401);
      expect((await bare.get(`${server.origin}/?token=not-the-token`, { maxRedirects: 0 })).status()).toBe(401);

      const withToken = await bare.get(server.url, { maxRedirects: 0 });
      expect(withToken.status()).toBe(200);
      const cookie = withToken.headers()['set-cookie'];
      expect(cookie).toMatch(new RegExp(`^convscope_page_${portOf(server.origin)}=`));
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(cookie).not.toContain(server.token);
    } finally {
      await bare.dispose();
    }
  });

  test('the page takes the token out of the address bar and keeps working after a reload', async ({ app, server }) => {
    await expect(app).toHaveURL(tokenless(server.origin));
    const stored = await app.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('convscope_token'));
    expect(stored).toBe(server.token);
    await app.reload();
    await expect(app.getByTestId('app')).toHaveAttribute('data-ready', 'true');
    await expect(app).toHaveURL(tokenless(server.origin));
    await expect(app.getByTestId('missing-token')).toHaveCount(0);
  });

  test('the API refuses the cookie alone, even from the page itself', async ({ app, server }) => {
    expect(await canOpenApi(app, null)).toBe(false);
    expect(await canOpenApi(app, server.token)).toBe(true);
  });

  test('a tab without the token shows how to get one', async ({ app, server }) => {
    const tab = await app.context().newPage();
    try {
      // The cookie lets the (public) page load; without the token it cannot reach the API.
      await tab.goto(`${server.origin}/`);
      await expect(tab.getByTestId('missing-token')).toContainText('Open the URL that convscope printed');
      await expect(tab.getByTestId('app')).toHaveCount(0);
    } finally {
      await tab.close();
    }
  });

  test('a second server on another port works side by side in the same browser', async ({ app, server }) => {
    test.setTimeout(180_000);
    const second = await startServer();
    try {
      expect(second.origin).not.toBe(server.origin);
      const other = await app.context().newPage();
      await other.goto(second.url);
      await expect(other.getByTestId('app')).toHaveAttribute('data-ready', 'true');
      await expect(other).toHaveURL(tokenless(second.origin));

      // Each kept its own cookie, and the first tab still loads and connects after a reload.
      const names = (await app.context().cookies()).map((c) => c.name).sort();
      expect(names).toEqual([`convscope_page_${portOf(server.origin)}`, `convscope_page_${portOf(second.origin)}`].sort());
      await app.reload();
      await expect(app.getByTestId('app')).toHaveAttribute('data-ready', 'true');
      await expect(app.getByTestId('missing-token')).toHaveCount(0);
      expect(await canOpenApi(app, server.token)).toBe(true);
      expect(await canOpenApi(app, second.token)).toBe(false);
      await other.reload();
      await expect(other.getByTestId('app')).toHaveAttribute('data-ready', 'true');
      await other.close();
    } finally {
      await second.stop();
    }
  });
});
