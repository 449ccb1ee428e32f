/**
 * What the image path keeps for as long as an isolate or a process lives: the wasm image kernels, the WebP
 * codec and the JPEG scan scratch buffer. The core holds none of it at module level: each adapter builds one
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

export interface ImageRuntime {
  /** The wasm kernels (JPEG scans, planar resize), or null for the JavaScript paths. */
  readonly kernels: ImageKernels | null;
  /** libwebp, or null where WebP is not decoded (415). */
  readonly webp: WebpCodec | null;
  /** The JPEG decoder's reused scan buffer. */
  readonly scanScratch: ScanScratch;
}

/** Builds an image runtime from the parts an adapter loaded; absent parts leave their JavaScript path (or a 415). */
export function createImageRuntime(parts: { kernels?: ImageKernels | null; webp?: WebpCodec | null } = {}): ImageRuntime {
  return { kernels: parts.kernels ?? null, webp: parts.webp ?? null, scanScratch: new ScanScratch() };
}
