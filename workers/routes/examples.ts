/** Labelled examples (admin): ingest, list, get, relabel, delete, and label counts. */
import { Hono } from 'hono';
import { embedImageViews } from '../../shared/embed-image.ts';
import { BadRequestError, NotFoundError, TooLargeError } from '../../shared/errors.ts';
import { validateLabel } from '../../shared/examples/label.ts';
import { sha256Hex } from '../../shared/hash.ts';
import { probeImage } from '../../shared/image/probe-image.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { D1ExampleStore } from '../example-store.ts';
import { D1SuspectStore } from '../suspect-store.ts';
import { readJsonObject, readUpload } from '../request-body.ts';
import { startWebp } from '../webp-codec.ts';

const CONTENT_TYPES = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as const;
const ID_PATTERN = /^[0-9a-f]{64}$/;
const MAX_PAGE = 200;

/** @throws NotFoundError (example_not_found) unless `raw` has the shape of an example id */
export function exampleId(raw: string): string {
  if (!ID_PATTERN.test(raw)) throw new NotFoundError(`no example ${JSON.stringify(raw)}: ids are 64 lowercase hex characters (the photo's sha256)`, 'example_not_found');
  return raw;
}

function pageLimit(raw: string | undefined): number {
  if (raw === undefined) return 50;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > MAX_PAGE) throw new BadRequestError(`limit must be an integer from 1 to ${MAX_PAGE}`, 'invalid_limit');
  return value;
}

function suspectOnly(raw: string | undefined): boolean {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new BadRequestError(`suspect must be true or false, got ${JSON.stringify(raw)}`, 'invalid_suspect');
}

export const exampleRoutes = new Hono<AppEnv>()
  .use('/v1/examples', requireAdmin)
  .use('/v1/examples/*', requireAdmin)
  .use('/v1/labels', requireAdmin)
  .post('/v1/examples', async (c) => {
    const { config, models } = c.var;
    const { bytes, fields } = await readUpload(c.req.raw, config.maxImageBytes);
    const label = validateLabel(fields.get('label'));
    const info = probeImage(bytes);
    if (info.width * info.height > config.maxImagePixels) {
      throw new TooLargeError(`image is ${info.width}x${info.height}; the limit is ${config.maxImagePixels} pixels`, 'too_many_pixels');
    }
    const store = new D1ExampleStore(c.env.DB, c.env.EXAMPLES);
    const id = await sha256Hex(bytes);
    const existing = await store.get(id);
    if (existing) return c.json({ example: existing, created: false }, 200);
    if (info.format === 'webp') await startWebp();
    const backbone = await models.trainingBackbone();
    // Embedding also decodes the whole image, so a corrupt photo is refused (422) before anything is stored.
    const views = embedImageViews(bytes, backbone.model, config);
    const { example, created } = await store.add(
      { id, label, contentType: CONTENT_TYPES[info.format], bytes: bytes.byteLength, width: info.width, height: info.height, backboneId: backbone.manifest.id },
      bytes,
      views,
      new Date(),
    );
    return c.json({ example, created }, created ? 201 : 200);
  })
  .get('/v1/examples', async (c) => {
    const label = c.req.query('label');
    const options = {
      label: label === undefined ? undefined : validateLabel(label),
      cursor: c.req.query('cursor') || undefined,
      limit: pageLimit(c.req.query('limit')),
    };
    // ?suspect=true: only the examples the latest training run flagged, most suspect first.
    const result = suspectOnly(c.req.query('suspect'))
      ? await new D1SuspectStore(c.env.DB).list(options)
      : await new D1ExampleStore(c.env.DB, c.env.EXAMPLES).list(options);
    return c.json(result);
  })
  .get('/v1/examples/:id', async (c) => {
    const example = await new D1ExampleStore(c.env.DB, c.env.EXAMPLES).require(exampleId(c.req.param('id')));
    return c.json({ example });
  })
  .get('/v1/examples/:id/image', async (c) => {
    const store = new D1ExampleStore(c.env.DB, c.env.EXAMPLES);
    const example = await store.require(exampleId(c.req.param('id')));
    const object = await store.openOriginal(example.id);
    if (!object) throw new NotFoundError(`the photo of example ${example.id} is missing from the bucket`, 'example_not_found');
    return new Response(object.body, { headers: { 'content-type': example.contentType, 'content-length': String(example.bytes) } });
  })
  .patch('/v1/examples/:id', async (c) => {
    const id = exampleId(c.req.param('id'));
    const body = await readJsonObject(c.req.raw);
    const label = validateLabel(typeof body.label === 'string' ? body.label : undefined);
    const example = await new D1ExampleStore(c.env.DB, c.env.EXAMPLES).relabel(id, label, new Date());
    return c.json({ example });
  })
  .delete('/v1/examples/:id', async (c) => {
    const id = exampleId(c.req.param('id'));
    await new D1ExampleStore(c.env.DB, c.env.EXAMPLES).delete(id);
    return c.json({ deleted: id });
  })
  .get('/v1/labels', async (c) => {
    const labels = await new D1ExampleStore(c.env.DB, c.env.EXAMPLES).labelCounts();
    return c.json({ labels, total: labels.reduce((sum, l) => sum + l.count, 0) });
  });
