/**
 * One embedding worker thread (see embed-pool.ts): builds its own backbone runtime (tfjs wasm backend, image
 * kernels, WebP codec, the model from the backbone's bytes), then runs one task per message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { importBackboneModel } from '../shared/backbone/backbone-model.ts';
import { EdgeheadError } from '../shared/errors.ts';
import { runEmbedTask, type EmbedTask } from './embed-task.ts';
import { loadRuntime } from './runtime.ts';

const { bytes, name } = workerData as { bytes: Uint8Array; name: string };
const runtime = await loadRuntime();
// The same engine choice as the calling thread (int8 for a quantised backbone), so every thread gives the same bits.
const model = importBackboneModel(bytes, { name, embeddingOnly: true, int8Kernels: runtime.int8Kernels });

parentPort!.on('message', ({ id, task }: { id: number; task: EmbedTask }) => {
  try {
    parentPort!.postMessage({ id, result: runEmbedTask(task, model, runtime.image) });
  } catch (error) {
    if (!(error instanceof EdgeheadError)) throw error;
    parentPort!.postMessage({ id, failure: { kind: error.kind, code: error.code, message: error.message } });
  }
});
parentPort!.postMessage({ ready: true });
