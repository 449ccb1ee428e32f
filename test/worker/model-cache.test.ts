import { isolateRuntime } from '../../workers/runtime.ts';
import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';
import type { KvLike } from '../../shared/store/kv-like.ts';
import { embedImage } from '../../shared/embed-image.ts';
import { importBackbone } from '../../shared/store/import-backbone.ts';
import { ModelCache } from '../../workers/model-cache.ts';
import { fixture, fixtureNames } from './fixtures.ts';
import { importTinyBackbone, publishTrainedHead } from './helpers.ts';

/** The real local KV binding, with every read counted per key. */
function countingKv(): { kv: KvLike; reads: Map<string, number> } {
  const reads = new Map<string, number>();
  const kv: KvLike = {
    get: ((key: string, type: 'text' | 'arrayBuffer') => {
      reads.set(key, (reads.get(key) ?? 0) + 1);
      return env.MODELS.get(key, type as 'text');
    }) as KvLike['get'],
    put: (key, value) => env.MODELS.put(key, value as ArrayBuffer),
  };
  return { kv, reads };
}

it('reads head weights and backbone once per version, only the small pointer per request', async () => {
  const first = await publishTrainedHead();
  const { kv, reads } = countingKv();
  const cache = new ModelCache(kv);
  for (let i = 0; i < 5; i++) expect((await cache.serving()).headManifest.version).toBe(first.version);
  expect(reads.get('head/current')).toBe(5);
  expect(reads.get(`head/${first.version}/weights`)).toBe(1);
  expect(reads.get(`backbone/${first.backboneId}/blob/0`)).toBe(1);

  const second = await publishTrainedHead({ seed: 9, now: new Date('2026-11-28T12:30:00Z'), labels: ['bees', 'ants'] });
  for (let i = 0; i < 3; i++) expect((await cache.serving()).headManifest.version).toBe(second.version);
  expect(reads.get(`head/${second.version}/weights`)).toBe(1);
  // Same backbone: not read again.
  expect(reads.get(`backbone/${first.backboneId}/blob/0`)).toBe(1);
});

it('never disposes a backbone a scope still holds when another one loads, and frees it once released', async () => {
  const { manifest: tiny } = await importTinyBackbone();
  const { manifest: v2 } = await importBackbone(env.MODELS, fixture('backbones/mobilenet_v2_1.0_224_quant.tflite'), { name: 'mobilenet_v2', source: 'test fixture', licence: 'Apache-2.0' }, new Date('2026-11-28T12:00:00Z'));
  const photo = fixture(fixtureNames('hymenoptera/val/bees/')[0]);
  const limits = { maxImagePixels: 50_000_000, runtime: isolateRuntime().image };
  const cache = new ModelCache(env.MODELS);
  const request = cache.scope();
  const held = await request.backbone(tiny.id);
  const before = embedImage(photo, held.model, limits).embedding;

  // A training run switches to another backbone while the request still holds the first.
  const training = cache.scope();
  await training.backbone(v2.id);
  expect(cache.slots.loaded()).toEqual([{ id: tiny.id, users: 1 }, { id: v2.id, users: 1 }]);
  expect(embedImage(photo, held.model, limits).embedding).toEqual(before);

  // Released and no longer the latest: disposed; the latest stays loaded with no holder.
  request.release();
  expect(cache.slots.loaded()).toEqual([{ id: v2.id, users: 1 }]);
  await Promise.resolve();
  expect(() => embedImage(photo, held.model, limits)).toThrow();
  training.release();
  training.release();
  expect(cache.slots.loaded()).toEqual([{ id: v2.id, users: 0 }]);
});
