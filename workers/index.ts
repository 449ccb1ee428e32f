import * as tf from '@tensorflow/tfjs-core';
import { startTfBackend } from './tf-backend.ts';

export default {
  async fetch(): Promise<Response> {
    const info = await startTfBackend();
    const y = tf.tidy(() => tf.sum(tf.fused.conv2d({ x: tf.ones([1, 8, 8, 3]) as tf.Tensor4D, filter: tf.ones([3, 3, 3, 4]), strides: 1, pad: 'same', activation: 'relu6' })));
    return Response.json({ ...info, sum: (await y.data())[0] });
  },
} satisfies ExportedHandler;
