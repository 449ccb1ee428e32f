/**
 * What the image path keeps for as long as an isolate or a process lives: the wasm image kernels, the WebP
 * codec and the scratch buffers (JPEG scan data, JPEG planes, the model input). The core holds none of it at module level: each adapter builds one
 * runtime (workers/runtime.ts, trainer/runtime.ts) and passes it down to the decoders and to preprocessing.
 * Without one, the JavaScript paths run, WebP is refused (415) and every scan gets a fresh buffer; tests use
 * that to compare the paths.
 */
import type { ImageKernels } from './image-kernels.ts';
import type { WebpCodec } from './webp/decode-webp.ts';

/**
 * A buffer reused between JPEG scans up to `maxBytes`: fresh memory is slow to touch the first time (page
 * faults), and the copy never outlives its scan. Larger requests get a buffer of their own, so nothing big
 * stays pinned.
 */
export class ScanScratch {
  private bytes = new Uint8Array(0);
  constructor(readonly maxBytes = 4 << 20) {}

  /** A buffer of at least `size` bytes, valid until the next call. */
  take(size: number): Uint8Array {
    if (size > this.maxBytes) return new Uint8Array(size);
    if (this.bytes.length < size) this.bytes = new Uint8Array(Math.min(this.maxBytes, Math.max(size, this.bytes.length * 2)));
    return this.bytes;
  }
}

/**
 * The model input, reused from call to call: the embedder copies it into a tensor before returning, and the
 * first touch of fresh memory costs milliseconds here (page faults), which a reused buffer pays once.
 */
export class ModelInputScratch {
  private floats = new Float32Array(0);

  /** `length` floats, valid until the next call. */
  take(length: number): Float32Array {
    if (this.floats.length < length) this.floats = new Float32Array(length);
    return this.floats.subarray(0, length);
  }
}

export interface ImageRuntime {
  /** The wasm kernels (JPEG scans, planar resize), or null for the JavaScript paths. */
  readonly kernels: ImageKernels | null;
  /** libwebp, or null where WebP is not decoded (415). */
  readonly webp: WebpCodec | null;
  /** The JPEG decoder's reused scan buffer. */
  readonly scanScratch: ScanScratch;
  /** JPEG planes reused by the embedder (the decoder's `reuse`): each embed turns them into the model input first. */
  readonly planeScratch: Uint8ClampedArray[];
  /** The embedder's model-input buffer. */
  readonly inputScratch: ModelInputScratch;
}

/** Builds an image runtime from the parts an adapter loaded; absent parts leave their JavaScript path (or a 415). */
export function createImageRuntime(parts: { kernels?: ImageKernels | null; webp?: WebpCodec | null } = {}): ImageRuntime {
  return {
    kernels: parts.kernels ?? null,
    webp: parts.webp ?? null,
    scanScratch: new ScanScratch(),
    planeScratch: [],
    inputScratch: new ModelInputScratch(),
  };
}
