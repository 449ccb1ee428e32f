import { OpenAPIHono } from '@hono/zod-openapi';
import { embedImage } from '../../shared/embed-image.ts';
import { predictHead, rankPredictions } from '../../shared/head/predict-head.ts';
import { oodScores } from '../../shared/head/ood.ts';
import { decide } from '../../shared/head/unknown.ts';
import { checkPixelLimit } from '../../shared/image/pixel-limit.ts';
import { probeImage } from '../../shared/image/probe-image.ts';
import type { AppEnv } from '../app-env.ts';
import { classifyRoute } from '../contract/classify.ts';
import { readImageUpload } from '../request-body.ts';
import { serverTiming } from '../server-timing.ts';

export const classifyRoutes = new OpenAPIHono<AppEnv>().openapi(classifyRoute, async (c) => {
  const { config, models, runtime } = c.var;
  const started = Date.now();
  const query = c.req.valid('query');
  const topK = query.top_k ?? config.defaultTopK;
  const minScore = query.min_score;
  const bytes = await readImageUpload(c.req.raw, config.maxImageBytes);
  // Header checks come before any model work, so bad input never waits for (or needs) a model.
  const info = probeImage(bytes);
  checkPixelLimit(info, config.maxImagePixels);
  const serving = await models.serving();
  const loaded = Date.now();
  const { embedding, timing } = embedImage(bytes, serving.backbone.model, { ...config, runtime: runtime.image });
  const headStart = Date.now();
  const probabilities = predictHead(serving.head, embedding, 1);
  const ranked = rankPredictions(serving.head, probabilities);
  const oodScore = serving.head.ood ? oodScores(serving.head, embedding, 1)[0] : undefined;
  const decision = decide(serving.head, ranked, minScore, serving.headManifest.backgroundLabel, oodScore);
  const done = Date.now();
  const timingMs = { load: loaded - started, ...timing, head: done - headStart, total: done - started };
  c.header('server-timing', serverTiming(timingMs));
  return c.json(
    {
      ...decision,
      predictions: ranked.slice(0, topK),
      model: { head: serving.headManifest.version, backbone: serving.backbone.manifest.id },
      timing_ms: timingMs,
    },
    200,
  );
});
