/**
 * The routes that act on one named model, written once with paths relative to the mount point and mounted twice
 * (workers/app.ts): at `/v1` for the `default` model, and at `/v1/models/:name` for any model, whose name
 * `namedModel` checks (400 `invalid_model_name`, 404 `unknown_model`) and puts in `c.var.model`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { createMiddleware } from 'hono/factory';
import { validateModelName } from '../../shared/models/model-name.ts';
import type { AppEnv } from '../app-env.ts';
import { D1ModelRegistry } from '../model-registry.ts';
import { exampleRoutes } from './examples.ts';
import { headDetailRoutes } from './head-details.ts';
import { headWeightRoutes } from './head-weights.ts';
import { labelRoutes } from './labels.ts';
import { modelRoutes } from './model.ts';
import { thumbnailRoutes } from './thumbnails.ts';
import { trainingRoutes } from './training.ts';

/**
 * Examples (and thumbnails), labels (counts, rename, delete), train, runs, heads (promote, rollback, prune, weights,
 * holdout mistakes) and the serving model's description.
 * Their contracts (workers/contract/) use the same relative paths; mounting merges them under each base path.
 */
export const modelScopedRoutes = new OpenAPIHono<AppEnv>()
  .route('/', modelRoutes)
  .route('/', exampleRoutes)
  .route('/', trainingRoutes)
  .route('/', headDetailRoutes)
  .route('/', headWeightRoutes)
  .route('/', labelRoutes)
  .route('/', thumbnailRoutes);

/** For `/v1/models/:name/*`: the model named in the path, which must exist. */
export const namedModel = createMiddleware<AppEnv>(async (c, next) => {
  const name = validateModelName(c.req.param('name'));
  await new D1ModelRegistry(c.env.DB).require(name);
  c.set('model', name);
  await next();
});
