/** Wires the core retraining job to the worker's bindings: D1 examples, runs and lease, R2 originals, KV models. */
import type { ServiceConfig } from '../shared/config.ts';
import { toHex } from '../shared/hash.ts';
import { compactUtcTimestamp } from '../shared/time.ts';
import type { RunRecord } from '../shared/training/run-record.ts';
import { runTrainingJob } from '../shared/training/training-job.ts';
import { D1ExampleStore } from './example-store.ts';
import { D1RunLog } from './run-log.ts';
import { D1Lease } from './training-lease.ts';
import { modelCacheFor } from './model-cache.ts';
import { isolateRuntime } from './runtime.ts';

/** Run ids sort by start time and are unique across isolates. */
function newRunId(now: Date): string {
  return `run-${compactUtcTimestamp(now)}-${toHex(crypto.getRandomValues(new Uint8Array(4)))}`;
}

/** Runs one retraining job now; the result is also recorded in D1 (`GET /v1/runs`). */
export function runTraining(env: Env, config: ServiceConfig, trigger: 'cron' | 'manual', now: () => Date = () => new Date()): Promise<RunRecord> {
  const models = modelCacheFor(env.MODELS);
  const examples = new D1ExampleStore(env.DB, env.EXAMPLES);
  return runTrainingJob(
    {
      kv: env.MODELS,
      examples,
      runs: new D1RunLog(env.DB),
      lease: new D1Lease(env.DB),
      loadBackbone: async (id) => (await models.backbone(id)).model,
      image: isolateRuntime().image,
      now,
    },
    {
      runId: newRunId(now()),
      trigger,
      seed: 42,
      maxEvaluations: config.trainMaxEvaluations,
      minExamplesPerLabel: config.trainMinExamples,
      holdoutPercent: config.trainHoldoutPercent,
      reembedBatch: config.trainReembedBatch,
      leaseMs: config.trainLeaseSeconds * 1000,
      maxImagePixels: config.maxImagePixels,
    },
  );
}
