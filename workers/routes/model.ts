import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { modelRoute } from '../contract/model.ts';

export const modelRoutes = new OpenAPIHono<AppEnv>().openapi(modelRoute, async (c) => {
  const { headManifest, backbone } = await c.var.models.serving(c.var.model);
  const { manifest } = backbone;
  const warning = headManifest.transfer?.warning;
  return c.json({
    warnings: warning ? [warning] : [],
    head: headManifest,
    backbone: {
      id: manifest.id,
      name: manifest.name,
      source: manifest.source,
      sourceSha256: manifest.sourceSha256,
      licence: manifest.licence,
      spec: manifest.spec,
    },
  }, 200);
});
