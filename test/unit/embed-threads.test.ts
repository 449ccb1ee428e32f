import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importBackboneModel, type BackboneModel } from '../../shared/backbone/backbone-model.ts';
import { AUGMENTED_VIEWS } from '../../shared/image/augment.ts';
import { embedFolder, type EmbeddedFolder } from '../../trainer/embed-folder.ts';
import { EmbeddingCache } from '../../trainer/embedding-cache.ts';
import { readImageFolder, type LabelledFile } from '../../trainer/image-folder.ts';
import type { ImageRuntime } from '../../shared/image/image-runtime.ts';
import { loadRuntime } from '../../trainer/runtime.ts';
import { backbonePath, smallImageFolder, tempDir } from '../helpers/node-fixtures.ts';

const NAME = 'mobilenet_v1_0.25_128_quant';
const bits = (a: Float32Array | null) => (a ? Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex') : null);

describe('embedFolder on worker threads', () => {
  const bytes = new Uint8Array(readFileSync(backbonePath(NAME)));
  let model: BackboneModel;
  let image: ImageRuntime;
  let files: LabelledFile[];

  beforeAll(async () => {
    const runtime = await loadRuntime();
    image = runtime.image;
    // As train builds it (the int8 engine for this quantised backbone); the workers must build the same.
    model = importBackboneModel(bytes, { name: NAME, embeddingOnly: true, int8Kernels: runtime.int8Kernels });
    expect(model.engine).toBe('int8-simd');
    const dir = smallImageFolder(2);
    // An undecodable photo: skipped with the same reason on any thread.
    writeFileSync(join(dir, 'ants', 'zz-broken.jpg'), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    files = await readImageFolder(dir);
  });
  afterAll(() => model?.dispose());

  const run = (cacheDir: string, threads: number): Promise<EmbeddedFolder> => {
    mkdirSync(cacheDir, { recursive: true });
    const cache = new EmbeddingCache(cacheDir, 'bb-test', model.spec.embeddingSize, model.engine);
    return embedFolder(files, model, cache, image, { quiet: true, histograms: true, augment: (f) => f.label === 'bees', threads, backbone: { bytes, name: NAME } });
  };
  const fingerprint = (r: EmbeddedFolder) => r.examples.map((e) => ({ name: e.file.name, embedding: bits(e.embedding), histogram: bits(e.histogram), views: e.views.map(bits) }));

  it('gives bit-for-bit the embeddings, views and histograms of the single-thread path, in file order, and reuses the cache', async () => {
    const single = await run(tempDir('threads-1'), 1);
    const twoCache = tempDir('threads-3');
    // Three threads: this one and two workers; with five lanes over five files, the workers take four of them.
    const two = await run(twoCache, 3);
    expect(single.examples).toHaveLength(4);
    expect(single.examples.filter((e) => e.views.length === AUGMENTED_VIEWS.length)).toHaveLength(2);
    expect(two.skipped).toEqual(single.skipped);
    expect(single.skipped.map((s) => s.name)).toEqual([join('ants', 'zz-broken.jpg')]);
    expect(fingerprint(two)).toEqual(fingerprint(single));
    expect([two.embedded, two.cached]).toEqual([4, 0]);

    const warm = await run(twoCache, 3);
    expect([warm.embedded, warm.cached]).toEqual([0, 4]);
    expect(fingerprint(warm)).toEqual(fingerprint(single));
  });
});
