/** Labelled examples of a model (admin): ingest, list, get, relabel, delete, and label counts. Paths are relative to
 * `/v1` (the default model) or `/v1/models/:name` (workers/routes/model-scoped.ts). */
import { $, OpenAPIHono } from '@hono/zod-openapi';
import { embedImageViews } from '../../shared/embed-image.ts';
import { NotFoundError } from '../../shared/errors.ts';
import { validateLabel } from '../../shared/examples/label.ts';
import { sha256Hex } from '../../shared/hash.ts';
import { checkPixelLimit } from '../../shared/image/pixel-limit.ts';
import { probeImage } from '../../shared/image/probe-image.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import {
  addExampleRoute,
  deleteExampleRoute,
  getExampleImageRoute,
  getExampleRoute,
  labelsRoute,
  listExamplesRoute,
  relabelExampleRoute,
} from '../contract/examples.ts';
import { D1ExampleStore } from '../example-store.ts';
import { D1SuspectStore } from '../suspect-store.ts';
import { readUpload } from '../request-body.ts';

const CONTENT_TYPES = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as const;
const ID_PATTERN = /^[0-9a-f]{64}$/;

/** @throws NotFoundError (example_not_found) unless `raw` has the shape of an example id */
export function exampleId(raw: string): string {
  if (!ID_PATTERN.test(raw)) throw new NotFoundError(`no example ${JSON.stringify(raw)}: ids are 64 lowercase hex characters (the photo's sha256)`, 'example_not_found');
  return raw;
}

export const exampleRoutes = $(
  new OpenAPIHono<AppEnv>().use('/examples', requireAdmin).use('/examples/*', requireAdmin).use('/labels', requireAdmin),
)
  .openapi(addExampleRoute, async (c) => {
    const { config, models, runtime } = c.var;
    const { bytes, fields } = await readUpload(c.req.raw, config.maxImageBytes);
    const label = validateLabel(fields.get('label'));
    const info = probeImage(bytes);
    checkPixelLimit(info, config.maxImagePixels);
    const store = new D1ExampleStore(c.env.DB, c.env.EXAMPLES, c.var.model);
    const id = await sha256Hex(bytes);
    const existing = await store.get(id);
    if (existing) return c.json({ example: existing, created: false }, 200);
    const backbone = await models.trainingBackbone(c.var.model);
    // Embedding also decodes the whole image, so a corrupt photo is refused (422) before anything is stored.
    const views = embedImageViews(bytes, backbone.model, { ...config, runtime: runtime.image, info });
    const { example, created } = await store.add(
      { id, label, contentType: CONTENT_TYPES[info.format], bytes: bytes.byteLength, width: info.width, height: info.height, backboneId: backbone.manifest.id },
      bytes,
      views,
      new Date(),
    );
    return created ? c.json({ example, created }, 201) : c.json({ example, created }, 200);
  })
  .openapi(listExamplesRoute, async (c) => {
    const query = c.req.valid('query');
    const options = {
      label: query.label === undefined ? undefined : validateLabel(query.label),
      cursor: query.cursor || undefined,
      limit: query.limit ?? 50,
    };
    // ?suspect=true: only the examples the latest training run flagged, most suspect first.
    const result = query.suspect === 'true'
      ? await new D1SuspectStore(c.env.DB, c.var.model).list(options)
      : await new D1ExampleStore(c.env.DB, c.env.EXAMPLES, c.var.model).list(options);
    return c.json(result, 200);
  })
  .openapi(getExampleRoute, async (c) => {
    const example = await new D1ExampleStore(c.env.DB, c.env.EXAMPLES, c.var.model).require(exampleId(c.req.valid('param').id));
    return c.json({ example }, 200);
  })
  .openapi(getExampleImageRoute, async (c) => {
    const store = new D1ExampleStore(c.env.DB, c.env.EXAMPLES, c.var.model);
    const example = await store.require(exampleId(c.req.valid('param').id));
    const object = await store.openOriginal(example.id);
    if (!object) throw new NotFoundError(`the photo of example ${example.id} is missing from the bucket`, 'example_not_found');
    return new Response(object.body, { headers: { 'content-type': example.contentType, 'content-length': String(example.bytes) } });
  })
  .openapi(relabelExampleRoute, async (c) => {
    const id = exampleId(c.req.valid('param').id);
    const label = validateLabel(c.req.valid('json').label);
    const example = await new D1ExampleStore(c.env.DB, c.env.EXAMPLES, c.var.model).relabel(id, label, new Date());
    return c.json({ example }, 200);
  })
  .openapi(deleteExampleRoute, async (c) => {
    const id = exampleId(c.req.valid('param').id);
    await new D1ExampleStore(c.env.DB, c.env.EXAMPLES, c.var.model).delete(id);
    return c.json({ deleted: id }, 200);
  })
  .openapi(labelsRoute, async (c) => {
    const labels = await new D1ExampleStore(c.env.DB, c.env.EXAMPLES, c.var.model).labelCounts();
    return c.json({ labels, total: labels.reduce((sum, l) => sum + l.count, 0) }, 200);
  });
