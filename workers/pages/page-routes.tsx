/** @jsxImportSource hono/jsx */
/** The web pages and their assets, all served by the worker itself under a self-only Content-Security-Policy. */
import { Hono } from 'hono';
import { DEFAULT_MODEL } from '../../shared/models/model-name.ts';
import type { AppEnv } from '../app-env.ts';
import { D1ModelRegistry } from '../model-registry.ts';
import { ADMIN_JS } from './admin-client.ts';
import { AdminPage } from './admin-page.tsx';
import { PAGES_CSS } from './pages-css.ts';
import { TRY_JS } from './try-client.ts';
import { TryPage } from './try-page.tsx';

/** Nothing from elsewhere: scripts, styles, fetches and images come from this origin (thumbnails as blob: URLs). */
export const PAGES_CSP =
  "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const ASSETS: Record<string, { body: string; type: string }> = {
  'pages.css': { body: PAGES_CSS, type: 'text/css; charset=utf-8' },
  'try.js': { body: TRY_JS, type: 'text/javascript; charset=utf-8' },
  'admin.js': { body: ADMIN_JS, type: 'text/javascript; charset=utf-8' },
};

export const pageRoutes = new Hono<AppEnv>()
  .use('/', async (c, next) => { await next(); c.header('content-security-policy', PAGES_CSP); })
  .use('/admin', async (c, next) => { await next(); c.header('content-security-policy', PAGES_CSP); c.header('referrer-policy', 'no-referrer'); })
  .get('/', async (c) => {
    // Listing models is admin-only; the try page needs only their names, which `?model=` on classify reveals anyway.
    const names = (await new D1ModelRegistry(c.env.DB).list()).map((m) => m.name);
    const picked = c.req.query('model');
    return c.html(<TryPage models={names} selected={picked !== undefined && names.includes(picked) ? picked : DEFAULT_MODEL} />);
  })
  .get('/admin', (c) => c.html(<AdminPage />))
  .get('/assets/:name', (c) => {
    const asset = ASSETS[c.req.param('name')];
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, { 'content-type': asset.type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
  });
