/**
 * A trained head: softmax regression over backbone embeddings.
 *
 * For one embedding x (length `embeddingSize`):
 *   z = (x - featureMean) * featureScale              (element-wise)
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
  /** Row-major [embeddingSize][labels.length]. */
  weights: Float32Array;
  /** [labels.length] */
  bias: Float32Array;
  /** Softmax temperature (1 = none); calibration comes later. Finite and > 0. */
  temperature: number;
}
