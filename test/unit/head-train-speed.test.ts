import { expect, it } from 'vitest';
import { evaluateHead } from '../../shared/head/metrics.ts';
import { makeSyntheticSet } from '../../shared/head/synthetic-set.ts';
import { trainHead } from '../../shared/head/train-head.ts';

// A measurement, not a timed assertion: the machine is shared, so the time is logged for the report only.
it('trains 10k x 1280 x 10 to high accuracy and logs the time it took', () => {
  const shape = { embeddingSize: 1280, structureSeed: 21, separation: 0.1 };
  const train = makeSyntheticSet({ ...shape, counts: new Array(10).fill(1000), seed: 1 });
  const test = makeSyntheticSet({ ...shape, counts: new Array(10).fill(100), seed: 2 });
  const started = performance.now();
  const result = trainHead(train, { seed: 1 });
  const ms = performance.now() - started;
  const accuracy = evaluateHead(result.head, test).accuracy;
  console.log(
    `trainHead 10000 x 1280 x 10: ${ms.toFixed(0)} ms, ${result.iterations} iterations, ${result.evaluations} passes ` +
      `(${(ms / result.evaluations).toFixed(0)} ms each), stop ${result.stopReason}, test accuracy ${accuracy.toFixed(4)}`,
  );
  expect(result.converged).toBe(true);
  expect(accuracy).toBeGreaterThanOrEqual(0.95);
});
