import { createBackboneModel, type BackboneModel } from './backbone/backbone-model.ts';
import { importTflite } from './backbone/import-tflite.ts';
import { loadBackboneBytes, type BackboneManifest } from './store/backbone-store.ts';
import type { KvLike } from './store/kv-like.ts';

export interface LoadedBackbone {
  manifest: BackboneManifest;
  model: BackboneModel;
}

/**
 * Reads a stored backbone from KV, imports it and builds the executable model on the current tfjs
 * backend. The caller owns the result and disposes it.
 */
export async function loadStoredBackbone(kv: KvLike, id: string): Promise<LoadedBackbone> {
  const { manifest, bytes } = await loadBackboneBytes(kv, id);
  const model = createBackboneModel(importTflite(bytes, { name: manifest.name }));
  return { manifest, model };
}
