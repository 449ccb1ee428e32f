/** Wires the core retraining job to the worker's bindings: D1 examples, runs and lease, R2 originals, KV models. */
import type { ServiceConfig } from '../shared/config.ts';
import { toHex } from '../shared/hash.ts';
import { compactUtcTimestamp } from '../shared/time.ts';
import { DEFAULT_MODEL } from '../shared/models/model-name.ts';
import type { TrainingDeps, TrainingOptions } from '../shared/training/ports.ts';
import type { RunRecord } from '../shared/training/run-record.ts';
import { runTrainingJob } from '../shared/training/training-job.ts';
import { D1ExampleStore } from './example-store.ts';
import { D1ModelRegistry } from './model-registry.ts';
import { D1RunLog } from './run-log.ts';
import { D1Lease } from './training-lease.ts';
import { modelCacheFor, type ModelScope } from './model-cache.ts';
import { isolateRuntime } from './runtime.ts';

/** Run ids sort by start time and are unique across isolates. */
function newRunId(now: Date): string {
  return `run-${compactUtcTimestamp(now)}-${toHex(crypto.getRandomValues(new Uint8Array(4)))}`;
}

/**
 * Runs one retraining job of a model now; the result is also recorded in D1 (`GET /v1/runs`). The backbones it
 * loads are held until it ends, so no request can make the cache dispose them mid-run.
 */
export async function runTraining(
  env: Env,
  config: ServiceConfig,
  trigger: 'cron' | 'manual',
  now: () => Date = () => new Date(),
  model: string = DEFAULT_MODEL,
): Promise<RunRecord> {
  const models = modelCacheFor(env.MODELS).scope();
  try {
    return await runTrainingJob(trainingDeps(env, model, models, now), trainingOptions(config, trigger, now, model));
  } finally {
    models.release();
  }
}

function trainingDeps(env: Env, model: string, models: ModelScope, now: () => Date): TrainingDeps {
  return {
    kv: env.MODELS,
    examples: new D1ExampleStore(env.DB, env.EXAMPLES, model),
    runs: new D1RunLog(env.DB, model),
    lease: new D1Lease(env.DB, model),
    loadBackbone: async (id) => (await models.backbone(id)).model,
    image: isolateRuntime().image,
    now,
  };
}

function trainingOptions(config: ServiceConfig, trigger: 'cron' | 'manual', now: () => Date, model: string): TrainingOptions {
  return {
    runId: newRunId(now()),
    trigger,
    seed: 42,
    maxEvaluations: config.trainMaxEvaluations,
    minExamplesPerLabel: config.trainMinExamples,
    holdoutPercent: config.trainHoldoutPercent,
    reembedBatch: config.trainReembedBatch,
    leaseMs: config.trainLeaseSeconds * 1000,
    maxImagePixels: config.maxImagePixels,
    model,
  };
}

/**
 * The cron: one retraining job per model that is due (`D1ModelRegistry.due`), one after another so they share the
 * loaded backbone; a model whose job throws does not stop the others.
 */
export async function runDueTraining(
  env: Env,
  config: ServiceConfig,
  now: () => Date = () => new Date(),
): Promise<{ model: string; run?: RunRecord; error?: unknown }[]> {
  const results: { model: string; run?: RunRecord; error?: unknown }[] = [];
  for (const model of await new D1ModelRegistry(env.DB).due(now())) {
    try {
      results.push({ model, run: await runTraining(env, config, 'cron', now, model) });
    } catch (error) {
      results.push({ model, error });
    }
  }
  return results;
}
