import * as tf from '@tensorflow/tfjs-core';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { expect, it } from 'vitest';
import { checkTfjsInternals, TFJS_FENCED_VERSION } from '../../shared/tf/tfjs-internals.ts';
import { wasmHeapTensors, freePackedFilter } from '../../shared/tf/wasm-backend.ts';
import { loadRuntime } from '../../trainer/runtime.ts';

it('finds the tfjs version and the private fields the fence in shared/tf/tfjs-internals.ts was written for', async () => {
  await loadRuntime();
  const backend = tf.backend();
  expect(backend, 'the wasm backend did not start').toBeInstanceOf(BackendWasm);
  const problems = checkTfjsInternals(backend as BackendWasm);
  // A failure lists each mismatch: read shared/tf/tfjs-internals.ts against the installed tfjs before bumping the version.
  expect(problems, `tfjs internals changed:\n${problems.join('\n')}`).toEqual([]);
  expect(tf.version_core).toBe(TFJS_FENCED_VERSION);
});

it('writes heap tensors in place and frees a packed filter once', async () => {
  await loadRuntime();
  const heap = wasmHeapTensors();
  expect(heap).not.toBeNull();
  const view = heap!.allocate(4);
  view.set([1, 2, 3, 4]);
  const tensor = heap!.take(view, [2, 2])!;
  expect(Array.from(await tensor.data())).toEqual([1, 2, 3, 4]);
  const backend = tf.backend() as BackendWasm;
  freePackedFilter(tensor);
  expect(backend.dataIdMap.get(tensor.dataId)?.memoryOffset).toBe(0);
  freePackedFilter(tensor);
  tensor.dispose();
  heap!.dispose();
});

it('reports a version it was not written for, naming the package and the file to re-read', () => {
  const problems = checkTfjsInternals(undefined, { core: TFJS_FENCED_VERSION, wasm: '4.23.0' });
  expect(problems).toHaveLength(1);
  expect(problems[0]).toContain('@tensorflow/tfjs-backend-wasm is 4.23.0');
  expect(problems[0]).toContain(`shared/tf/tfjs-internals.ts was written for ${TFJS_FENCED_VERSION}`);
});
