import { expect, SERVER_ONLY, test } from './fixtures.ts';

test.describe('server mode access', () => {
  test.skip(({ shell }) => shell !== 'web', SERVER_ONLY);

  test('refuses the page and the API without the token', async ({ server, playwright }) => {
    const bare = await playwright.request.newContext();
    try {
      const page = await bare.get(`${server.origin}/`, { maxRedirects: 0 });
      expect(page.status()).toBe(401);
      const asset = await bare.get(`${server.origin}/index.html`, { maxRedirects: 0 });
      expect(asset.status()).toBe(401);
      const wrong = await bare.get(`${server.origin}/?token=not-the-token`, { maxRedirects: 0 });
      expect(wrong.status()).toBe(401);

      const withToken = await bare.get(server.url, { maxRedirects: 0 });
      expect(withToken.status()).toBe(302);
      expect(withToken.headers()['set-cookie']).toContain('HttpOnly');
    } finally {
      await bare.dispose();
    }
  });
});
