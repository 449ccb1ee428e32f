/** `GET /examples/:id/thumbnail` of a model (admin): a small PNG of a stored photo, made from the original in R2. */
import { OpenAPIHono } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/errors.ts';
import { thumbnailPng } from '../../shared/image/thumbnail.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { thumbnailRoute } from '../contract/examples.ts';
import { D1ExampleStore } from '../example-store.ts';
import { exampleId } from './examples.ts';

export const thumbnailRoutes = new OpenAPIHono<AppEnv>().openapi({ ...thumbnailRoute, middleware: [requireAdmin] as const }, async (c) => {
  const id = exampleId(c.req.valid('param').id);
  const bytes = await new D1ExampleStore(c.env.DB, c.env.EXAMPLES, c.var.model).readOriginal(id);
  if (!bytes) throw new NotFoundError(`no example ${id}`, 'example_not_found');
  const { config, runtime } = c.var;
  const { png } = thumbnailPng(bytes, { maxPixels: config.maxImagePixels, maxWebpPixels: config.maxWebpPixels, maxDecodeBytes: config.maxDecodeBytes, runtime: runtime.image });
  // The id is the photo's sha256, so its thumbnail never changes; private: it is behind the admin token.
  return c.body(png, 200, { 'content-type': 'image/png', 'cache-control': 'private, max-age=31536000, immutable' });
});
