/**
 * The one place that builds storage keys in the MODELS namespace. Nobody concatenates keys by hand.
 *
 * Immutable, content- or version-addressed values live under their id; the only keys ever overwritten
 * are the small `current` pointers, moved last, so a reader never sees a half-published model.
 *
 * Backbones are shared by every named model. Heads belong to one model: the `default` model's keys are the
 * ones stored before named models existed (`head/...`), so nothing stored needs migrating; any other model's
 * live under `models/<name>/head/...`, which no `head/` listing can reach.
 */
import { DEFAULT_MODEL } from '../models/model-name.ts';

/** Where a model's head keys start (`model` is a validated name, `shared/models/model-name.ts`). */
function headRoot(model: string): string {
  return model === DEFAULT_MODEL ? 'head/' : `models/${model}/head/`;
}

export const modelKeys = {
  /** JSON `BackbonePointer`: the backbone new heads are trained on */
  currentBackbone: () => 'backbone/current',
  /** JSON `BackboneManifest` */
  backboneManifest: (backboneId: string) => `backbone/${backboneId}/manifest`,
  /** raw bytes of the source file, split into chunks below KV's 25 MiB value limit */
  backboneChunk: (backboneId: string, index: number) => `backbone/${backboneId}/blob/${index}`,
  /** JSON `HeadPointer`: the head the service serves */
  currentHead: (model: string = DEFAULT_MODEL) => `${headRoot(model)}current`,
  /** JSON `HeadManifest` */
  headManifest: (version: string, model: string = DEFAULT_MODEL) => `${headRoot(model)}${version}/manifest`,
  /** `encodeHead` bytes */
  headWeights: (version: string, model: string = DEFAULT_MODEL) => `${headRoot(model)}${version}/weights`,
  /** prefix under which every head version of a model lives (for listing) */
  headPrefix: (model: string = DEFAULT_MODEL) => headRoot(model),
};

/** KV caps a value at 25 MiB; chunks stay well under it. */
export const MAX_CHUNK_BYTES = 20 * 1024 * 1024;

/**
 * Keys in the EXAMPLES bucket (R2): originals of labelled examples, content-addressed by their sha256 (the example
 * id) within a model, so the same photo may be an example of two models and deleting it from one keeps the other's.
 * The `default` model keeps the keys stored before named models existed.
 */
export const exampleKeys = {
  original: (id: string, model: string = DEFAULT_MODEL) => (model === DEFAULT_MODEL ? `examples/${id}` : `models/${model}/examples/${id}`),
  /** prefix of every original of a model (for deleting a model) */
  prefix: (model: string = DEFAULT_MODEL) => (model === DEFAULT_MODEL ? 'examples/' : `models/${model}/examples/`),
};
