import { importBackboneModel, type BackboneModel } from './backbone/backbone-model.ts';
import { loadBackboneBytes, type BackboneManifest } from './store/backbone-store.ts';
import type { KvLike } from './store/kv-like.ts';
import { CorruptStoredModelError, InvalidModelError } from './errors.ts';
import type { Runtime } from './runtime.ts';

export interface LoadedBackbone {
  manifest: BackboneManifest;
  model: BackboneModel;
}

/**
 * Reads a stored backbone from KV, imports it and builds the executable model: on the runtime's int8 kernels for a
 * quantised backbone, else on the tfjs backend, which `runtime.backend()` starts (so that start overlaps the KV reads). Only the embedding part is imported: serving
 * never runs the original classifier, whose weights would cost a third of the import. The rest is dequantized
 * straight into the wasm heap and packed up front (`importBackboneModel`). The caller owns the result and
 * disposes it.
 * @throws NotReadyError (none stored) / CorruptStoredModelError (500: stored chunks or their import fail)
 */
export async function loadStoredBackbone(kv: KvLike, id: string, runtime: Runtime): Promise<LoadedBackbone> {
  const [{ manifest, bytes }] = await Promise.all([loadBackboneBytes(kv, id), runtime.backend()]);
  try {
    return { manifest, model: importBackboneModel(bytes, { name: manifest.name, embeddingOnly: true, int8Kernels: runtime.int8Kernels }) };
  } catch (error) {
    // It was checked when imported: failing now means our own stored copy is bad, not the caller's request.
    if (error instanceof InvalidModelError) throw new CorruptStoredModelError(`stored backbone ${id} cannot be read: ${error.message}`);
    throw error;
  }
}
