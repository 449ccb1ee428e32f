import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';
import type { KvLike } from '../../shared/store/kv-like.ts';
import { ModelCache } from '../../workers/model-cache.ts';
import { publishTrainedHead } from './helpers.ts';

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
