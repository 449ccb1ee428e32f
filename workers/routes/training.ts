/** Retraining and head versions of a model (admin): run a job now, list runs, list heads, promote (rollback), prune.
 * Paths are relative to `/v1` or `/v1/models/:name` (workers/routes/model-scoped.ts). */
import { $, OpenAPIHono } from '@hono/zod-openapi';
import { ConflictError, NotFoundError } from '../../shared/errors.ts';
import { deleteHead, getCurrentHeadPointer, listHeads, promoteHead } from '../../shared/store/head-store.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { deleteHeadRoute, getRunRoute, listHeadsRoute, listRunsRoute, promoteHeadRoute, rollbackRoute, trainRoute } from '../contract/training.ts';
import { skippedForLease } from '../../shared/training/run-record.ts';
import { D1RunLog } from '../run-log.ts';
import { D1MistakeStore } from '../mistake-store.ts';
import { runTraining } from '../training.ts';

const VERSION_PATTERN = /^h-[0-9TZ]+-[0-9a-f]{8}$/;

function headVersion(raw: string): string {
  if (!VERSION_PATTERN.test(raw)) throw new NotFoundError(`head version ${JSON.stringify(raw)} does not exist`, 'head_not_found');
  return raw;
}

export const trainingRoutes = $(
  new OpenAPIHono<AppEnv>()
    .use('/train', requireAdmin)
    .use('/runs', requireAdmin)
    .use('/runs/*', requireAdmin)
    .use('/heads', requireAdmin)
    .use('/heads/*', requireAdmin),
)
  .openapi(trainRoute, async (c) => {
    const run = await runTraining(c.env, c.var.config, 'manual', undefined, c.var.model);
    if (skippedForLease(run)) {
      throw new ConflictError(`a training run is already going; this request was recorded as run ${run.id}`, 'training_in_progress');
    }
    return c.json({ run }, 200);
  })
  .openapi(listRunsRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    return c.json(await new D1RunLog(c.env.DB, c.var.model).list(limit ?? 20, cursor || undefined), 200);
  })
  .openapi(getRunRoute, async (c) => {
    const { id } = c.req.valid('param');
    const run = await new D1RunLog(c.env.DB, c.var.model).get(id);
    if (!run) throw new NotFoundError(`no run ${id}`, 'run_not_found');
    return c.json({ run }, 200);
  })
  .openapi(listHeadsRoute, async (c) => {
    const [heads, pointer] = await Promise.all([listHeads(c.env.MODELS, c.var.model), getCurrentHeadPointer(c.env.MODELS, c.var.model)]);
    return c.json({
      serving: pointer?.version ?? null,
      heads: heads.reverse().map((m) => ({
        version: m.version,
        serving: m.version === pointer?.version,
        labels: m.labels,
        backboneId: m.backboneId,
        trainedAt: m.trainedAt,
        metrics: m.metrics && { accuracy: m.metrics.accuracy, balancedAccuracy: m.metrics.balancedAccuracy, macroF1: m.metrics.macroF1, n: m.metrics.n },
        training: m.training,
      })),
    }, 200);
  })
  .openapi(rollbackRoute, async (c) => {
    // The head trained before the serving one (by training time): what "undo the last publish" means.
    const [heads, pointer] = await Promise.all([listHeads(c.env.MODELS, c.var.model), getCurrentHeadPointer(c.env.MODELS, c.var.model)]);
    const at = heads.findIndex((m) => m.version === pointer?.version);
    if (at < 1) throw new ConflictError('there is no earlier head to roll back to (GET /heads lists the stored versions)', 'no_earlier_head');
    const serving = await promoteHead(c.env.MODELS, heads[at - 1].version, new Date(), c.var.model);
    return c.json({ serving, previous: heads[at].version }, 200);
  })
  .openapi(promoteHeadRoute, async (c) => {
    const pointer = await promoteHead(c.env.MODELS, headVersion(c.req.valid('param').version), new Date(), c.var.model);
    return c.json({ serving: pointer }, 200);
  })
  .openapi(deleteHeadRoute, async (c) => {
    const version = headVersion(c.req.valid('param').version);
    await deleteHead(c.env.MODELS, version, c.var.model);
    await new D1MistakeStore(c.env.DB, c.var.model).forget(version);
    return c.json({ deleted: version }, 200);
  });
