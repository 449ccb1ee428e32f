/**
 * The one place that builds storage keys in the MODELS namespace. Nobody concatenates keys by hand.
 *
 * Immutable, content- or version-addressed values live under their id; the only keys ever overwritten
 * are the two small `current` pointers, moved last, so a reader never sees a half-published model.
 */
export const modelKeys = {
  /** JSON `BackbonePointer`: the backbone new heads are trained on */
  currentBackbone: () => 'backbone/current',
  /** JSON `BackboneManifest` */
  backboneManifest: (backboneId: string) => `backbone/${backboneId}/manifest`,
  /** raw bytes of the source file, split into chunks below KV's 25 MiB value limit */
  backboneChunk: (backboneId: string, index: number) => `backbone/${backboneId}/blob/${index}`,
  /** JSON `HeadPointer`: the head the service serves */
  currentHead: () => 'head/current',
  /** JSON `HeadManifest` */
  headManifest: (version: string) => `head/${version}/manifest`,
  /** `encodeHead` bytes */
  headWeights: (version: string) => `head/${version}/weights`,
  /** prefix under which every head version lives (for listing) */
  headPrefix: () => 'head/',
};

/** KV caps a value at 25 MiB; chunks stay well under it. */
export const MAX_CHUNK_BYTES = 20 * 1024 * 1024;

/** Keys in the EXAMPLES bucket (R2): originals of labelled examples, content-addressed by their sha256 (the example id). */
export const exampleKeys = {
  original: (id: string) => `examples/${id}`,
};
