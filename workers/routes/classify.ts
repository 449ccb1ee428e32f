import { OpenAPIHono } from '@hono/zod-openapi';
import { embedImage, type EmbedTiming } from '../../shared/embed-image.ts';
import { BadRequestError, EdgeheadError, NotReadyError, toErrorBody, type ErrorBody } from '../../shared/errors.ts';
import { DEFAULT_MODEL, validateModelName } from '../../shared/models/model-name.ts';
import { predictHead, rankPredictions } from '../../shared/head/predict-head.ts';
import { oodScores } from '../../shared/head/ood.ts';
import { decide } from '../../shared/head/unknown.ts';
import { checkPixelLimit } from '../../shared/image/pixel-limit.ts';
import type { ImageInfo } from '../../shared/image/image-types.ts';
import { probeImage } from '../../shared/image/probe-image.ts';
import type { AppEnv } from '../app-env.ts';
import { classifyRoute } from '../contract/classify.ts';
import type { ModelScope, ServingModels } from '../model-cache.ts';
import { D1ModelRegistry } from '../model-registry.ts';
import { readImageUpload } from '../request-body.ts';
import { serverTiming } from '../server-timing.ts';

/** At most this many models in one `?models=` request (each answer is a few kB of head work). */
export const MAX_MODELS_PER_REQUEST = 16;

/**
 * Which models a classify request asks for: `?models=a,b` (several, deduplicated), `?model=a` or nothing
 * (`default`): one. Names are validated (400); their existence is checked by the caller.
 */
export function requestedModels(model: string | undefined, models: string | undefined): { names: string[]; multi: boolean } {
  if (model !== undefined && models !== undefined) throw new BadRequestError('give either model or models, not both', 'invalid_models');
  if (models === undefined) return { names: [model === undefined ? DEFAULT_MODEL : validateModelName(model)], multi: false };
  const names = [...new Set(models.split(',').map((n) => validateModelName(n.trim())))];
  if (names.length > MAX_MODELS_PER_REQUEST) throw new BadRequestError(`models lists ${names.length} names; at most ${MAX_MODELS_PER_REQUEST} per request`, 'too_many_models');
  return { names, multi: true };
}

/** One model's usual answer to an embedded image: the decision, the top predictions and which head answered. */
function answer(serving: ServingModels, embedding: Float32Array, topK: number, minScore: number | undefined) {
  const probabilities = predictHead(serving.head, embedding, 1);
  const ranked = rankPredictions(serving.head, probabilities);
  const oodScore = serving.head.ood ? oodScores(serving.head, embedding, 1)[0] : undefined;
  const decision = decide(serving.head, ranked, minScore, serving.headManifest.backgroundLabel, oodScore);
  return {
    ...decision,
    predictions: ranked.slice(0, topK),
    model: { head: serving.headManifest.version, backbone: serving.backbone.manifest.id, engine: serving.backbone.model.engine },
  };
}

export const classifyRoutes = new OpenAPIHono<AppEnv>().openapi(classifyRoute, async (c) => {
  const { config, models, runtime } = c.var;
  const started = Date.now();
  const query = c.req.valid('query');
  const topK = query.top_k ?? config.defaultTopK;
  const minScore = query.min_score;
  const { names, multi } = requestedModels(query.model, query.models);
  const bytes = await readImageUpload(c.req.raw, config.maxImageBytes);
  // Header checks come before any model work, so bad input never waits for (or needs) a model.
  const info = probeImage(bytes);
  checkPixelLimit(info, config.maxImagePixels);
  const servings = await servingsOf(models, c.env.DB, names);
  if (multi) {
    const many = classifyMany(c.var, bytes, names, servings, { topK, minScore, started, info });
    c.header('server-timing', serverTiming(many.timing_ms));
    return c.json(many, 200);
  }
  const serving = servings[0];
  if (serving instanceof Error) throw serving;
  const loaded = Date.now();
  // The engine is said in `model.engine`; timing_ms and Server-Timing carry milliseconds only.
  const { embedding, timing: { engine: _engine, ...timing } } = embedImage(bytes, serving.backbone.model, { ...config, runtime: runtime.image, info });
  const headStart = Date.now();
  const body = answer(serving, embedding, topK, minScore);
  const done = Date.now();
  const timingMs = { load: loaded - started, ...timing, head: done - headStart, total: done - started };
  c.header('server-timing', serverTiming(timingMs));
  return c.json({ ...body, timing_ms: timingMs }, 200);
});

/**
 * Each model's serving head and backbone, or the EdgeheadError saying why it has none. The registry (D1) is read
 * only when a named model has no head, to tell an unknown model (404 for the whole request) from one not trained
 * yet: a model with a head is known by its head pointer alone, so asking several costs no D1 query.
 */
async function servingsOf(models: ModelScope, db: D1Database, names: string[]): Promise<(ServingModels | EdgeheadError)[]> {
  const servings = await Promise.all(names.map((name) => models.serving(name).catch(expectedError)));
  const headless = names.filter((name, i) => name !== DEFAULT_MODEL && servings[i] instanceof NotReadyError);
  if (headless.length > 0) await new D1ModelRegistry(db).requireAll(headless);
  return servings;
}

/** An EdgeheadError is an answer (a model without a head); anything else is a bug and propagates. */
function expectedError(error: unknown): EdgeheadError {
  if (error instanceof EdgeheadError) return error;
  throw error;
}

/**
 * Several models' answers from one backbone forward per distinct backbone (one, unless a model's head is still
 * on an older backbone). A model that cannot answer (no head yet) gets an error entry; the others still answer.
 */
function classifyMany(
  vars: { config: AppEnv['Variables']['config']; runtime: AppEnv['Variables']['runtime'] },
  bytes: Uint8Array,
  names: string[],
  found: (ServingModels | EdgeheadError)[],
  options: { topK: number; minScore: number | undefined; started: number; info: ImageInfo },
) {
  const servings = found.map((s): ServingModels | ErrorBody => (s instanceof EdgeheadError ? toErrorBody(s) : s));
  const loaded = Date.now();
  const timing: Omit<EmbedTiming, 'engine'> = { decode: 0, resize: 0, forward: 0 };
  const embeddings = new Map<string, Float32Array>();
  for (const serving of servings) {
    if ('error' in serving || embeddings.has(serving.backbone.manifest.id)) continue;
    const embedded = embedImage(bytes, serving.backbone.model, { ...vars.config, runtime: vars.runtime.image, info: options.info });
    embeddings.set(serving.backbone.manifest.id, embedded.embedding);
    for (const key of ['decode', 'resize', 'forward'] as const) timing[key] += embedded.timing[key];
  }
  const headStart = Date.now();
  const answers = Object.fromEntries(
    servings.map((serving, i) => [
      names[i],
      'error' in serving ? serving : answer(serving, embeddings.get(serving.backbone.manifest.id)!, options.topK, options.minScore),
    ]),
  );
  const done = Date.now();
  return {
    models: answers,
    timing_ms: { load: loaded - options.started, ...timing, forwards: embeddings.size, head: done - headStart, total: done - options.started },
  };
}

