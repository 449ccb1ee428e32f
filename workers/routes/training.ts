/** Retraining and head versions (admin): run a job now, list runs, list heads, promote (rollback), prune. */
import { Hono } from 'hono';
import { BadRequestError, ConflictError, NotFoundError } from '../../shared/errors.ts';
import { deleteHead, getCurrentHeadPointer, listHeads, promoteHead } from '../../shared/store/head-store.ts';
import type { AppEnv } from '../app-env.ts';
import { requireAdmin } from '../auth.ts';
import { skippedForLease } from '../../shared/training/training-job.ts';
import { D1RunLog } from '../example-store.ts';
import { D1MistakeStore } from '../mistake-store.ts';
import { runTraining } from '../training.ts';

const VERSION_PATTERN = /^h-[0-9TZ]+-[0-9a-f]{8}$/;

function headVersion(raw: string): string {
  if (!VERSION_PATTERN.test(raw)) throw new NotFoundError(`head version ${JSON.stringify(raw)} does not exist`, 'head_not_found');
  return raw;
}

export const trainingRoutes = new Hono<AppEnv>()
  .use('/v1/train', requireAdmin)
  .use('/v1/runs', requireAdmin)
  .use('/v1/runs/*', requireAdmin)
  .use('/v1/heads', requireAdmin)
  .use('/v1/heads/*', requireAdmin)
  .post('/v1/train', async (c) => {
    const run = await runTraining(c.env, c.var.config, 'manual');
    if (skippedForLease(run)) {
      throw new ConflictError(`a training run is already going; this request was recorded as run ${run.id}`, 'training_in_progress');
    }
    return c.json({ run });
  })
  .get('/v1/runs', async (c) => {
    const raw = c.req.query('limit') ?? '20';
    const limit = Number(raw);
    if (!/^\d+$/.test(raw) || limit < 1 || limit > 100) throw new BadRequestError('limit must be an integer from 1 to 100', 'invalid_limit');
    return c.json(await new D1RunLog(c.env.DB).list(limit, c.req.query('cursor') || undefined));
  })
  .get('/v1/runs/:id', async (c) => {
    const run = await new D1RunLog(c.env.DB).get(c.req.param('id'));
    if (!run) throw new NotFoundError(`no run ${c.req.param('id')}`, 'run_not_found');
    return c.json({ run });
  })
  .get('/v1/heads', async (c) => {
    const [heads, pointer] = await Promise.all([listHeads(c.env.MODELS), getCurrentHeadPointer(c.env.MODELS)]);
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
    });
  })
  .post('/v1/heads/:version/promote', async (c) => {
    const pointer = await promoteHead(c.env.MODELS, headVersion(c.req.param('version')), new Date());
    return c.json({ serving: pointer });
  })
  .delete('/v1/heads/:version', async (c) => {
    const version = headVersion(c.req.param('version'));
    await deleteHead(c.env.MODELS, version);
    await new D1MistakeStore(c.env.DB).forget(version);
    return c.json({ deleted: version });
  });
