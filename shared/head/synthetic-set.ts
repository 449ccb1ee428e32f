/**
 * Deterministic synthetic embedding sets for tests and benchmarks, shaped like pooled ReLU6 backbone
 * features: non-negative, clipped at 6, correlated through a few shared factors, one Gaussian cluster per class.
 */
import { createRandom } from './random.ts';
import type { TrainingSet } from './train-head.ts';

export interface SyntheticSetOptions {
  /** Examples per label, in label order (e.g. [300, 10] for an imbalanced pair). */
  counts: number[];
  embeddingSize: number;
  seed: number;
  /** Std of each class centre's offset from the shared centre, per feature. Larger is easier. Default 0.15. */
  separation?: number;
  /** Std of per-example noise, per feature. Default 0.5. */
  noise?: number;
  /** Number of shared random factors that correlate the features (as real embeddings are). Default 8. */
  factors?: number;
  /** Labels; default "class-0", "class-1", ... */
  labels?: string[];
  /**
   * Seed for the class centres and factors, when it must differ from `seed`: sets drawn with the same
   * `structureSeed` and different `seed`s are train/test samples of the same distribution. Default `seed`.
   */
  structureSeed?: number;
}

/**
 * Builds a labelled set; rows are grouped by label in order.
 * @returns a TrainingSet with embeddings [sum(counts) * embeddingSize]
 */
export function makeSyntheticSet(options: SyntheticSetOptions): TrainingSet {
  const { counts, embeddingSize: d, seed } = options;
  const separation = options.separation ?? 0.15;
  const noise = options.noise ?? 0.5;
  const factorCount = options.factors ?? 8;
  const labels = options.labels ?? counts.map((_, c) => `class-${c}`);
  const structure = createRandom(options.structureSeed ?? seed);
  const shared = Float64Array.from({ length: d }, () => 0.2 + 1.2 * structure.uniform());
  const centres = counts.map(() => Float64Array.from({ length: d }, (_, j) => shared[j] + separation * structure.normal()));
  const factors = Array.from({ length: factorCount }, () => Float64Array.from({ length: d }, () => 0.3 * structure.normal()));
  const random = createRandom(seed * 7919 + 1);
  const n = counts.reduce((a, b) => a + b, 0);
  const embeddings = new Float32Array(n * d);
  const labelIndex = new Int32Array(n);
  const loadings = new Float64Array(factorCount);
  let row = 0;
  counts.forEach((count, c) => {
    for (let e = 0; e < count; e++, row++) {
      labelIndex[row] = c;
      for (let f = 0; f < factorCount; f++) loadings[f] = random.normal();
      for (let j = 0; j < d; j++) {
        let v = centres[c][j] + noise * random.normal();
        for (let f = 0; f < factorCount; f++) v += loadings[f] * factors[f][j];
        embeddings[row * d + j] = Math.min(6, Math.max(0, v));
      }
    }
  });
  return { embeddings, embeddingSize: d, labelIndex, labels };
}
