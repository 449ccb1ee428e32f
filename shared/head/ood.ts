/**
 * Out-of-distribution score: how far an embedding lies from the classes the head was trained on, as a
 * class-conditional Mahalanobis distance with a shared, low-rank-plus-isotropic (shrunk) within-class covariance,
 * in the head's standardised feature space z = (x - featureMean) * featureScale.
 *
 *   score(z) = min_c [ sum_j (v_j . (z - mu_c))^2 / lambda_j + (|z - mu_c|^2 - sum_j (v_j . (z - mu_c))^2) / sigma2 ] / d
 *
 * with v_j (j < r) the top eigenvectors of the within-class covariance, lambda_j their eigenvalues shrunk towards
 * sigma2 (the mean variance of the remaining d - r directions). A photo of the trained classes scores about 1;
 * a photo of something else lies far from every class mean. Scoring costs (r + k) * d multiply-adds
 * (16 + 10 classes at d = 1280: ~33k), far under a millisecond.
 *
 * The threshold is a high quantile of the scores of held-out in-domain photos, so it needs no off-topic photos.
 */
import { BadRequestError } from '../errors.ts';
import type { QuantisedRows } from '../examples/embedding-codec.ts';
import type { Head, OodStats } from './head-types.ts';
import { createRandom } from './random.ts';

export interface OodOptions {
  /** Rank of the stored whitening. Default 16. */
  rank?: number;
  /** Weight of sigma2 in the shrunk eigenvalues lambda_j' = (1 - s) lambda_j + s sigma2. Default 0.2. */
  shrinkage?: number;
  /** Rows used to fit the covariance at most (a seeded sample beyond it), bounding the CPU of a retraining. Default 2000. */
  maxRows?: number;
  /** Power-iteration sweeps. Default 8. */
  iterations?: number;
  seed?: number;
}

/** Rows of raw embeddings, float32 or 8-bit quantised as the retraining job keeps them. */
export type EmbeddingRows = Float32Array | QuantisedRows;

/** Default quantile of held-out in-domain scores taken as the threshold. */
export const DEFAULT_OOD_QUANTILE = 0.99;

/**
 * Fits the OOD statistics (class means, whitening) on training embeddings; the threshold is set to +Infinity
 * until {@link fitOodThreshold}.
 * @param rows [n * head.embeddingSize] raw embeddings; labelIndex [n] into head.labels
 * @throws BadRequestError when the lengths disagree or a label has no example
 */
export function fitOodStats(head: Head, rows: EmbeddingRows, labelIndex: Int32Array, options: OodOptions = {}): Omit<OodStats, 'threshold'> {
  const d = head.embeddingSize;
  const k = head.labels.length;
  const n = labelIndex.length;
  const rank = Math.min(options.rank ?? 16, d - 1, Math.max(1, n - k));
  const shrinkage = options.shrinkage ?? 0.2;
  if (rowCount(rows, d) !== n) throw new BadRequestError(`expected ${n} embeddings of ${d} values`);
  const z = new Float32Array(d);
  // Class means over every row.
  const means = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    standardise(head, rows, i, z);
    const c = labelIndex[i];
    counts[c]++;
    for (let j = 0; j < d; j++) means[c * d + j] += z[j];
  }
  for (let c = 0; c < k; c++) {
    if (counts[c] === 0) throw new BadRequestError(`label ${head.labels[c]} has no example to fit the out-of-distribution score on`);
    for (let j = 0; j < d; j++) means[c * d + j] /= counts[c];
  }
  // Within-class residuals of a seeded sample, kept in memory for the power iteration.
  const sample = sampleRows(n, options.maxRows ?? 2000, options.seed ?? 1);
  const m = sample.length;
  const residuals = new Float32Array(m * d);
  let trace = 0;
  for (let s = 0; s < m; s++) {
    standardise(head, rows, sample[s], z);
    const c = labelIndex[sample[s]];
    for (let j = 0; j < d; j++) {
      const value = z[j] - means[c * d + j];
      residuals[s * d + j] = value;
      trace += value * value;
    }
  }
  const dof = Math.max(1, m - k);
  trace /= dof;
  const { basis, eigenvalues } = topEigen(residuals, m, d, rank, dof, options.iterations ?? 8, options.seed ?? 1);
  const captured = eigenvalues.reduce((a, b) => a + b, 0);
  const sigma2 = Math.max((trace - captured) / (d - rank), 1e-6 * (trace / d) + 1e-12);
  const inverseVariance = new Float32Array(rank);
  for (let j = 0; j < rank; j++) inverseVariance[j] = 1 / ((1 - shrinkage) * Math.max(eigenvalues[j], sigma2) + shrinkage * sigma2);
  const classMeans = Float32Array.from(means);
  const projectedMeans = new Float32Array(k * rank);
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < rank; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += basis[j * d + t] * classMeans[c * d + t];
      projectedMeans[c * rank + j] = dot;
    }
  }
  return { rank, residualVariance: sigma2, inverseVariance, basis, classMeans, projectedMeans };
}

/**
 * The OOD score of each embedding (see the file comment); about 1 in domain, larger further away.
 * @param embeddings [n * head.embeddingSize] raw embeddings
 * @returns [n] scores
 * @throws BadRequestError when the head has no OOD statistics
 */
export function oodScores(head: Head, embeddings: EmbeddingRows, n: number): Float64Array {
  const ood = head.ood;
  if (!ood) throw new BadRequestError('this head has no out-of-distribution statistics');
  const d = head.embeddingSize;
  const k = head.labels.length;
  const r = ood.rank;
  const z = new Float32Array(d);
  const u = new Float64Array(r);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    standardise(head, embeddings, i, z);
    let zz = 0;
    for (let t = 0; t < d; t++) zz += z[t] * z[t];
    for (let j = 0; j < r; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += ood.basis[j * d + t] * z[t];
      u[j] = dot;
    }
    let best = Infinity;
    for (let c = 0; c < k; c++) {
      // |z - mu|^2 = |z|^2 - 2 z.mu + |mu|^2, and the projected part from the stored projections.
      let zm = 0;
      let mm = 0;
      for (let t = 0; t < d; t++) {
        const mu = ood.classMeans[c * d + t];
        zm += z[t] * mu;
        mm += mu * mu;
      }
      const full = Math.max(0, zz - 2 * zm + mm);
      let inside = 0;
      let whitened = 0;
      for (let j = 0; j < r; j++) {
        const diff = u[j] - ood.projectedMeans[c * r + j];
        inside += diff * diff;
        whitened += diff * diff * ood.inverseVariance[j];
      }
      const distance = whitened + Math.max(0, full - inside) / ood.residualVariance;
      if (distance < best) best = distance;
    }
    scores[i] = best / d;
  }
  return scores;
}

/**
 * The threshold: the `quantile` of held-out in-domain scores (linear interpolation), so about 1 - quantile of
 * in-domain photos are answered unknown and no off-topic photos are needed.
 * @param scores held-out in-domain scores ({@link oodScores}); at least one
 */
export function fitOodThreshold(scores: ArrayLike<number>, quantile = DEFAULT_OOD_QUANTILE): number {
  if (scores.length === 0) throw new BadRequestError('no held-out scores to fit the out-of-distribution threshold on');
  const sorted = Float64Array.from(scores).sort();
  const at = quantile * (sorted.length - 1);
  const low = Math.floor(at);
  const high = Math.min(sorted.length - 1, low + 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (at - low);
}

/** Rank-based ROC AUC: the probability that a random positive (out-of-distribution) outscores a random negative. */
export function rocAuc(negatives: ArrayLike<number>, positives: ArrayLike<number>): number {
  const all = [...Array.from(negatives, (s) => ({ s, p: 0 })), ...Array.from(positives, (s) => ({ s, p: 1 }))].sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const averageRank = (i + j + 1) / 2;
    for (let t = i; t < j; t++) if (all[t].p) rankSum += averageRank;
    i = j;
  }
  const np = positives.length;
  const nn = negatives.length;
  return (rankSum - (np * (np + 1)) / 2) / (np * nn);
}

function rowCount(rows: EmbeddingRows, d: number): number {
  return rows instanceof Float32Array ? rows.length / d : rows.offset.length;
}

function standardise(head: Head, rows: EmbeddingRows, i: number, out: Float32Array): void {
  const d = head.embeddingSize;
  if (rows instanceof Float32Array) {
    for (let j = 0; j < d; j++) out[j] = (rows[i * d + j] - head.featureMean[j]) * head.featureScale[j];
  } else {
    const offset = rows.offset[i];
    const step = rows.step[i];
    for (let j = 0; j < d; j++) out[j] = (offset + step * rows.codes[i * d + j] - head.featureMean[j]) * head.featureScale[j];
  }
}

function sampleRows(n: number, max: number, seed: number): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  if (n <= max) return all;
  const random = createRandom(seed);
  for (let i = 0; i < max; i++) {
    const j = i + random.int(n - i);
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, max).sort();
}

/** Top `rank` eigenpairs of R^T R / dof by block power iteration with Gram-Schmidt (R is [m][d]). */
function topEigen(residuals: Float32Array, m: number, d: number, rank: number, dof: number, iterations: number, seed: number) {
  const random = createRandom(seed);
  let basis = Float64Array.from({ length: rank * d }, () => random.normal());
  orthonormalise(basis, rank, d);
  const projected = new Float64Array(m * rank);
  for (let sweep = 0; sweep < iterations; sweep++) {
    // P = R V^T, then V <- (P^T R) / dof
    projected.fill(0);
    for (let s = 0; s < m; s++) {
      for (let j = 0; j < rank; j++) {
        let dot = 0;
        for (let t = 0; t < d; t++) dot += residuals[s * d + t] * basis[j * d + t];
        projected[s * rank + j] = dot;
      }
    }
    const next = new Float64Array(rank * d);
    for (let s = 0; s < m; s++) {
      for (let j = 0; j < rank; j++) {
        const p = projected[s * rank + j] / dof;
        if (p === 0) continue;
        for (let t = 0; t < d; t++) next[j * d + t] += p * residuals[s * d + t];
      }
    }
    orthonormalise(next, rank, d);
    basis = next;
  }
  // Rayleigh quotients of the final basis are the variances along it.
  const variances = new Float64Array(rank);
  for (let s = 0; s < m; s++) {
    for (let j = 0; j < rank; j++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += residuals[s * d + t] * basis[j * d + t];
      variances[j] += (dot * dot) / dof;
    }
  }
  return { basis: Float32Array.from(basis), eigenvalues: Array.from(variances) };
}

/** Modified Gram-Schmidt on `rank` rows of length d, in place. */
function orthonormalise(rows: Float64Array, rank: number, d: number): void {
  for (let j = 0; j < rank; j++) {
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let t = 0; t < d; t++) dot += rows[j * d + t] * rows[p * d + t];
      for (let t = 0; t < d; t++) rows[j * d + t] -= dot * rows[p * d + t];
    }
    let norm = 0;
    for (let t = 0; t < d; t++) norm += rows[j * d + t] * rows[j * d + t];
    norm = Math.sqrt(norm);
    const inverse = norm > 0 ? 1 / norm : 0;
    for (let t = 0; t < d; t++) rows[j * d + t] *= inverse;
  }
}
