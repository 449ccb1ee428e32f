/**
 * A trained head: softmax regression over backbone embeddings, optionally with one hidden ReLU layer.
 *
 * For one embedding x (length `embeddingSize`):
 *   z = (x - featureMean) * featureScale              (element-wise)
 *   with `hidden`:  z <- max(0, z . hidden.weights + hidden.bias)   (length hidden.size)
 *   logit[c] = sum_j z[j] * weights[j * labels.length + c] + bias[c]
 *   p = softmax(logit / temperature)
 * Plain typed arrays only, so the same object is used by workerd, Node and the binary codec.
 */
export interface Head {
  /** Class names, unique and non-empty; index c of every per-class array refers to labels[c]. */
  labels: string[];
  /** Length of one embedding (1280 for MobileNetV2). */
  embeddingSize: number;
  /** Standardisation applied before the linear layer: z = (x - featureMean) * featureScale (length embeddingSize). */
  featureMean: Float32Array;
  featureScale: Float32Array;
  /** Row-major [inputs][labels.length], where inputs = hidden?.size ?? embeddingSize. */
  weights: Float32Array;
  /** [labels.length] */
  bias: Float32Array;
  /** Softmax temperature (1 = none; fitted on validation by `fitTemperature`). Finite and > 0. */
  temperature: number;
  /** Optional hidden layer (format version 2). */
  hidden?: HiddenLayer;
  /**
   * Optional per-label confidence thresholds in [0, 1] (format version 2): a top prediction of label c whose
   * (calibrated) score is below thresholds[c] is answered as "unknown". 0 accepts everything.
   */
  thresholds?: Float32Array;
  /** Optional out-of-distribution statistics (format version 3; `ood.ts`): absent on older heads, which then have no OOD check. */
  ood?: OodStats;
}

/**
 * Class-conditional Mahalanobis statistics in the standardised space (see `ood.ts`): r = rank, d = embeddingSize,
 * k = labels.length.
 */
export interface OodStats {
  /** r >= 1 */
  rank: number;
  /** Variance of each direction outside the stored basis (sigma2 > 0). */
  residualVariance: number;
  /** Scores above this are answered "out_of_distribution" (> 0; +Infinity never stored). */
  threshold: number;
  /** [r] 1 / shrunk within-class variance along each basis vector. */
  inverseVariance: Float32Array;
  /** Row-major [r][d], orthonormal rows. */
  basis: Float32Array;
  /** Row-major [k][d] class means of the standardised training embeddings. */
  classMeans: Float32Array;
  /** Row-major [k][r] basis . classMeans[c]. */
  projectedMeans: Float32Array;
}

/** One fully connected ReLU layer between the standardised embedding and the softmax layer. */
export interface HiddenLayer {
  /** Number of hidden units h >= 1. */
  size: number;
  /** Row-major [embeddingSize][size]. */
  weights: Float32Array;
  /** [size] */
  bias: Float32Array;
}
