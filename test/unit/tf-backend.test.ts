import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { loadRuntime } from '../../trainer/runtime.ts';

it('runs fused conv2d with relu6 on the wasm simd backend in Node', async () => {
  const info = await (await loadRuntime()).backend();
  expect(info).toMatchObject({ backend: 'wasm', simd: true });
  const y = tf.tidy(() => tf.sum(tf.fused.conv2d({ x: tf.ones([1, 8, 8, 3]) as tf.Tensor4D, filter: tf.ones([3, 3, 3, 4]), strides: 1, pad: 'same', activation: 'relu6' })));
  expect((await y.data())[0]).toBe(1536);
  y.dispose();
});
