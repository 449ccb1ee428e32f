/**
 * Taking the model away (admin): `GET /v1/heads/:version/weights` (the head as JSON, or its stored binary with
 * `Accept: application/octet-stream`) and `GET /v1/backbones/:id/tflite` (the backbone's source file).
 * `edgehead export` builds a TensorFlow.js model from exactly these bytes.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/errors.ts';
import { encodeHead } from '../../shared/head/head-codec.ts';
import { headToJson } from '../../shared/head/head-json.ts';
import { getBackboneManifest, loadBackboneBytes } from '../../shared/store/backbone-store.ts';
import { getHeadManifest, loadHead } from '../../shared/store/head-store.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { getBackboneFileRoute, getHeadWeightsRoute } from '../contract/export.ts';
import { VERSION_PATTERN } from './head-details.ts';

const BACKBONE_ID_PATTERN = /^bb-[0-9a-f]{16}$/;

function wantsBinary(accept: string | undefined): boolean {
  return /\bapplication\/octet-stream\b/i.test(accept ?? '');
}

function binary(bytes: Uint8Array, sha256: string, filename: string): Response {
  return new Response(bytes, {
    headers: {
      'content-type': 'application/octet-stream',
      'content-disposition': `attachment; filename="${filename}"`,
      etag: `"${sha256}"`,
      'x-content-sha256': sha256,
    },
  });
}

/** Per model (workers/routes/model-scoped.ts): `/heads/:version/weights` under `/v1` or `/v1/models/:name`. */
export const headWeightRoutes = new OpenAPIHono<AppEnv>().openapi({ ...getHeadWeightsRoute, middleware: [requireAdmin] as const }, async (c) => {
  const { version } = c.req.valid('param');
  if (!VERSION_PATTERN.test(version) || !(await getHeadManifest(c.env.MODELS, version, c.var.model))) {
    throw new NotFoundError(`head version ${JSON.stringify(version)} does not exist`, 'head_not_found');
  }
  const { manifest, head } = await loadHead(c.env.MODELS, version, c.var.model);
  if (wantsBinary(c.req.header('accept'))) return binary(encodeHead(head), manifest.weightsSha256, `${version}.ehhd`);
  const backbone = await getBackboneManifest(c.env.MODELS, manifest.backboneId);
  return c.json(
    {
      version,
      weightsSha256: manifest.weightsSha256,
      backbone: backbone ? { id: backbone.id, name: backbone.name, sourceSha256: backbone.sourceSha256, spec: backbone.spec } : { id: manifest.backboneId },
      calibration: manifest.calibration ?? null,
      backgroundLabel: manifest.backgroundLabel ?? null,
      head: headToJson(head),
    },
    200,
  );
});

export const backboneFileRoutes = new OpenAPIHono<AppEnv>().openapi({ ...getBackboneFileRoute, middleware: [requireAdmin] as const }, async (c) => {
  const { id } = c.req.valid('param');
  const manifest = BACKBONE_ID_PATTERN.test(id) ? await getBackboneManifest(c.env.MODELS, id) : null;
  if (!manifest) throw new NotFoundError(`backbone ${JSON.stringify(id)} is not stored`, 'backbone_not_found');
  const { bytes } = await loadBackboneBytes(c.env.MODELS, id);
  return binary(bytes, manifest.sourceSha256, `${manifest.name.replace(/[^\w.-]/g, '_')}.tflite`);
});
