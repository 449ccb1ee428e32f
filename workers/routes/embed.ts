import { OpenAPIHono } from '@hono/zod-openapi';
import { embedImage } from '../../shared/embed-image.ts';
import type { AppEnv } from '../app-env.ts';
import { embedRoute } from '../contract/classify.ts';
import { readImageUpload } from '../request-body.ts';

/** The frozen backbone's embedding of an image: for similarity search, or for training elsewhere. */
export const embedRoutes = new OpenAPIHono<AppEnv>().openapi(embedRoute, async (c) => {
  const { config, models, runtime } = c.var;
  const bytes = await readImageUpload(c.req.raw, config.maxImageBytes);
  const backbone = await models.embeddingBackbone();
  const { embedding } = embedImage(bytes, backbone.model, { ...config, runtime: runtime.image });
  return c.json({ backbone: backbone.manifest.id, dimensions: embedding.length, embedding: Array.from(embedding) }, 200);
});
