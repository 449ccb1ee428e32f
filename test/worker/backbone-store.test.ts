import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { NotReadyError } from '../../shared/errors.ts';
import { sha256Hex } from '../../shared/hash.ts';
import { backboneIdFor, loadBackboneBytes, storeBackbone } from '../../shared/store/backbone-store.ts';
import { MAX_CHUNK_BYTES, modelKeys } from '../../shared/store/model-keys.ts';

const spec = { name: 'big', inputHeight: 224, inputWidth: 224, inputChannels: 3, pixelScale: 1 / 128, pixelZeroPoint: 128, embeddingSize: 8, classifierClasses: null, multiplyAdds: 1 };

async function bigBlob(bytes: number): Promise<{ blob: Uint8Array; sha256: string }> {
  const blob = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(blob.subarray(i, Math.min(bytes, i + 65536)));
  return { blob, sha256: await sha256Hex(blob) };
}

describe('backbone artifacts in real local KV (25 MiB value limit)', () => {
  it('splits a 45 MB file into chunks under the limit and reads it back byte for byte', async () => {
    const { blob, sha256 } = await bigBlob(45_000_000);
    const manifest = await storeBackbone(env.MODELS, blob, { name: 'big', format: 'tflite', sourceSha256: sha256, source: 'test', licence: 'test', spec, importedAt: '2026-11-28T00:00:00Z' });
    expect(manifest.id).toBe(backboneIdFor(sha256));
    expect(manifest.chunks).toBe(Math.ceil(45_000_000 / MAX_CHUNK_BYTES));
    expect(MAX_CHUNK_BYTES).toBeLessThan(25 * 1024 * 1024);
    const back = await loadBackboneBytes(env.MODELS, manifest.id);
    expect(back.bytes.length).toBe(blob.length);
    expect(await sha256Hex(back.bytes)).toBe(sha256);
  });

  it('reads a one-chunk backbone back byte for byte, and refuses one whose manifest names a chunk that is not stored or none', async () => {
    const { blob, sha256 } = await bigBlob(5000);
    const manifest = await storeBackbone(env.MODELS, blob, { name: 'one', format: 'tflite', sourceSha256: sha256, source: 'test', licence: 'test', spec, importedAt: '2026-11-28T00:00:00Z' });
    expect(manifest.chunks).toBe(1);
    expect((await loadBackboneBytes(env.MODELS, manifest.id)).bytes).toEqual(blob);
    await env.MODELS.put(modelKeys.backboneManifest(manifest.id), JSON.stringify({ ...manifest, chunks: 2 }));
    await expect(loadBackboneBytes(env.MODELS, manifest.id)).rejects.toThrow(/missing chunk 1 of 2/);
    await env.MODELS.put(modelKeys.backboneManifest(manifest.id), JSON.stringify({ ...manifest, chunks: 0 }));
    await expect(loadBackboneBytes(env.MODELS, manifest.id)).rejects.toThrow(/does not match its manifest's sha256/);
  });

  it('refuses a backbone whose stored bytes no longer match the manifest as a corrupt stored model (500), and reports a missing one as 503', async () => {
    const { blob, sha256 } = await bigBlob(1000);
    const manifest = await storeBackbone(env.MODELS, blob, { name: 'small', format: 'tflite', sourceSha256: sha256, source: 'test', licence: 'test', spec, importedAt: '2026-11-28T00:00:00Z' });
    await env.MODELS.put(modelKeys.backboneChunk(manifest.id, 0), blob.slice(0, 999));
    await expect(loadBackboneBytes(env.MODELS, manifest.id)).rejects.toThrow(expect.objectContaining({ kind: 'stored_data', code: 'corrupt_stored_model' }));
    await expect(loadBackboneBytes(env.MODELS, 'bb-0000000000000000')).rejects.toBeInstanceOf(NotReadyError);
  });
});
