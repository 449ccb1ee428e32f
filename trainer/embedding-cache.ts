/**
 * On-disk cache of embeddings keyed by image content (sha256) and backbone id, so a second training run
 * over the same photos embeds nothing. One small file per image, written then renamed, so a crash never
 * leaves a half-written entry.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackboneEngine } from '../shared/backbone/backbone-spec.ts';
import { PROJECT_ROOT } from './model-store.ts';

/**
 * Which image-to-input recipe made the cached embeddings. Bumped when the pixels a backbone sees change (2: JPEGs
 * resized as Y/Cb/Cr planes and colour-converted at the model's size; 3: that resize in the float32 wasm kernel; 4: PNGs
 * box-downscaled while streaming),
 * so a cache never mixes two recipes.
 */
const INPUT_RECIPE = 'input-v4';

/** Where the CLI keeps embeddings unless `--cache-dir` or EDGEHEAD_CACHE_DIR says otherwise. */
export function embeddingCacheDir(flag: string | undefined): string {
  return flag ?? process.env.EDGEHEAD_CACHE_DIR ?? join(PROJECT_ROOT, '.edgehead', 'embeddings');
}

export class EmbeddingCache {
  constructor(
    private readonly dir: string,
    private readonly backboneId: string,
    private readonly embeddingSize: number,
    /** the engine that embeds (int8 and float32 embeddings of one backbone differ slightly): never mixed in one cache */
    private readonly engine: BackboneEngine,
  ) {}

  private path(imageSha256: string): string {
    const recipe = this.engine === 'float32-tfjs' ? INPUT_RECIPE : `${INPUT_RECIPE}-${this.engine}`;
    return join(this.dir, this.backboneId, recipe, imageSha256.slice(0, 2), `${imageSha256}.f32`);
  }

  async get(imageSha256: string): Promise<Float32Array | null> {
    const bytes = await readFile(this.path(imageSha256)).catch(() => null);
    if (!bytes || bytes.byteLength !== this.embeddingSize * 4) return null;
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }

  async put(imageSha256: string, embedding: Float32Array): Promise<void> {
    const path = this.path(imageSha256);
    await mkdir(join(path, '..'), { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength));
    await rename(partial, path);
  }
}
