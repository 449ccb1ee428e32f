import type { ImageRuntime } from './image/image-runtime.ts';
import type { BackendInfo } from './tf/wasm-backend.ts';

/**
 * Everything that lives as long as an isolate or a process: the image runtime (kernels, codecs, scratch), the
 * int8 kernels and the TensorFlow.js backend. Each adapter builds one (workers/runtime.ts, trainer/runtime.ts) and passes it
 * down; the core keeps none of it at module level.
 */
export interface Runtime {
  readonly image: ImageRuntime;
  /** the compiled int8 kernels quantised backbones run on (shared/backbone/int8/); null: float path only */
  readonly int8Kernels: WebAssembly.Module | null;
  /** Starts the wasm backend the first time (later calls return the same promise; a failure is retried). */
  backend(): Promise<BackendInfo>;
}
