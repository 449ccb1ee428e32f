import { Hono } from 'hono';
import { embedImage } from '../../shared/embed-image.ts';
import { BadRequestError } from '../../shared/errors.ts';
import { predictHead, rankPredictions } from '../../shared/head/predict-head.ts';
import { oodScores } from '../../shared/head/ood.ts';
import { decide } from '../../shared/head/unknown.ts';
import { checkPixelLimit } from '../../shared/image/pixel-limit.ts';
import { probeImage } from '../../shared/image/probe-image.ts';
import type { AppEnv } from '../app-env.ts';
import { integerQuery } from '../query-params.ts';
import { readImageUpload } from '../request-body.ts';

/** `?top_k=N`: a positive integer; more than the number of labels simply returns them all. */
export function parseTopK(raw: string | undefined, fallback: number): number {
  return integerQuery(raw, { name: 'top_k', code: 'invalid_top_k', fallback, min: 1 });
}

/** `?min_score=X`: a number in [0, 1] that replaces the head's per-label thresholds for this request. */
export function parseMinScore(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new BadRequestError(`min_score must be a number in [0, 1], got ${JSON.stringify(raw)}`, 'invalid_min_score');
  }
  return value;
}

export const classifyRoutes = new Hono<AppEnv>().post('/v1/classify', async (c) => {
  const { config, models, runtime } = c.var;
  const started = Date.now();
  const topK = parseTopK(c.req.query('top_k'), config.defaultTopK);
  const minScore = parseMinScore(c.req.query('min_score'));
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
  return c.json({
    ...decision,
    predictions: ranked.slice(0, topK),
    model: { head: serving.headManifest.version, backbone: serving.backbone.manifest.id },
    timing_ms: { load: loaded - started, ...timing, head: done - headStart, total: done - started },
  });
});
