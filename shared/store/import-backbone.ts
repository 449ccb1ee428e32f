import { importTflite } from '../backbone/import-tflite.ts';
import { sha256Hex } from '../hash.ts';
import { getBackboneManifest, setCurrentBackbone, storeBackbone, backboneIdFor, type BackboneManifest } from './backbone-store.ts';
import type { KvLike } from './kv-like.ts';

/**
 * Validates a TFLite backbone (a full import, so a bad file is refused before anything is stored), stores
 * it under its content address unless it is already there, and makes it the current backbone.
 * @throws InvalidModelError when the file is not a backbone we can run
 */
export async function importBackbone(
  kv: KvLike,
  bytes: Uint8Array,
  about: { name: string; source: string; licence: string },
  now: Date,
): Promise<{ manifest: BackboneManifest; stored: boolean }> {
  const sourceSha256 = await sha256Hex(bytes);
  let manifest = await getBackboneManifest(kv, backboneIdFor(sourceSha256));
  const stored = !manifest;
  if (!manifest) {
    const { spec } = importTflite(bytes, { name: about.name });
    manifest = await storeBackbone(kv, bytes, { ...about, format: 'tflite', sourceSha256, spec, importedAt: now.toISOString() });
  }
  await setCurrentBackbone(kv, manifest.id, now);
  return { manifest, stored };
}
