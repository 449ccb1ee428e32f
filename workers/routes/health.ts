import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../app-env.ts';
import { healthRoute } from '../contract/model.ts';

export const healthRoutes = new OpenAPIHono<AppEnv>().openapi(healthRoute, async (c) => {
  const [backend, status] = await Promise.all([c.var.runtime.backend(), c.var.models.status()]);
  return c.json({
    ok: true,
    backend: backend.backend,
    simd: backend.simd,
    threads: backend.threads,
    // Which code turns decoded JPEG planes into the model input: the WebAssembly SIMD kernel, or JavaScript.
    resize: c.var.runtime.image.kernels ? 'wasm-simd' : 'js',
    backbone: status.backboneId,
    head: status.headVersion,
  }, 200);
});
