/**
 * Trains the head: multinomial softmax regression on standardised embeddings, minimising
 *
 *   F(W, b) = sum_i w_i * CE(softmax(z_i W + b), y_i) / sum_i w_i  +  (l2 / 2) * ||W||^2
 *
 * (bias not penalised) with full-batch L-BFGS and a weak-Wolfe line search. Pure float64 maths on typed
 * arrays, so the same code runs in workerd (cron retraining under a CPU deadline) and in Node (CLI).
 *
 * Determinism: no randomness and no clock inside; the examples are first put in a canonical order
 * (by label, then by a hash of their bytes), so the result is bit-for-bit identical for the same set of
 * examples whatever order they arrive in. Only `deadline` can make two runs differ.
 */
import { BadRequestError } from '../errors.ts';
import type { QuantisedRows } from '../examples/embedding-codec.ts';
import type { Head } from './head-types.ts';
import { minimiseLbfgs, never, type LbfgsStopReason } from './lbfgs.ts';
import { Objective, type RowData } from './softmax-objective.ts';

/** Labelled embeddings. */
export interface TrainingSet {
  /** [n * embeddingSize], row-major. */
  embeddings: Float32Array;
  embeddingSize: number;
  /** [n], each in [0, labels.length). */
  labelIndex: Int32Array;
  /** Unique, non-empty; every label needs at least one example. */
  labels: string[];
}

/**
 * Labelled embeddings kept 8-bit (as the retraining job stores them): row i, column j is
 * `embeddings.offset[i] + embeddings.step[i] * embeddings.codes[i * embeddingSize + j]`. Training reads the codes
 * directly (x . w = offset * sum(w) + step * (codes . w)), so the set takes a quarter of the float32 memory.
 */
export interface QuantisedTrainingSet {
  embeddings: QuantisedRows;
  embeddingSize: number;
  labelIndex: Int32Array;
  labels: string[];
}

export interface TrainOptions {
  /**
   * Seed for anything random. The linear head is a convex problem started from zero (or `initial`) and
   * uses no randomness, so today its result does not depend on the seed; a hidden-layer head will.
   */
  seed: number;
  /** L2 penalty on the standardised weights, per unit of mean loss. Default {@link DEFAULT_L2}. */
  l2?: number;
  /** 'balanced' (default) weighs each example by n / (k * n_c) so every class counts equally; 'none' weighs all 1. */
  classWeighting?: 'balanced' | 'none';
  /** L-BFGS iterations at most. Default {@link DEFAULT_MAX_ITERATIONS}. */
  maxIterations?: number;
  /** Converged when max |gradient| <= tolerance (gradient of the mean loss). Default {@link DEFAULT_TOLERANCE}. */
  tolerance?: number;
  /**
   * Warm start. Its labels may be any subset of the new labels (new classes start at zero, labels missing from
   * the new set are dropped); its embeddingSize must match. The standardisation is recomputed from the new data
   * and the old weights are re-expressed in it exactly, so training starts from the old head's logits (its
   * temperature is ignored: it calibrates the old weights, and the result has temperature 1).
   */
  initial?: Head;
  /**
   * Polled after every objective evaluation; once it returns true, training stops and returns the best point so
   * far. The first iteration always completes, so an expired deadline still yields a trained head.
   * Note workerd only advances `Date.now()` across I/O, not during computation: there, bound the CPU with
   * `maxEvaluations` instead (or as well).
   */
  deadline?: () => boolean;
  /**
   * CPU budget in passes over the data (objective evaluations), checked like `deadline`. Unlike a clock it is
   * deterministic: the same budget gives the same head. One pass costs about 2 * n * embeddingSize * k
   * multiply-adds (10k x 1280 x 10: 0.15-0.3 s in Node on one core).
   */
  maxEvaluations?: number;
}

/**
 * Why training stopped: `converged` (gradient tolerance met), `max_iterations`, `max_evaluations`, `deadline`,
 * or `stalled` (the line search can no longer decrease F in float64 arithmetic: as good as converged, but the
 * tolerance was too tight to be met).
 */
export type StopReason = LbfgsStopReason | 'max_evaluations';

export interface TrainResult {
  head: Head;
  /** L-BFGS iterations completed. */
  iterations: number;
  /** Objective F at the start (0 weights: ln k; or the `initial` head), for logs of how much a retraining gained. */
  initialLoss: number;
  /** Objective F at the returned weights (weighted mean cross-entropy + L2 term), before float32 rounding. */
  finalLoss: number;
  /** True when the gradient tolerance was met. */
  converged: boolean;
  stopReason: StopReason;
  /** Objective+gradient evaluations (one pass over the data each); the cost unit of training. */
  evaluations: number;
}

/**
 * Default L2, per unit of mean loss, on standardised features. Backbone embeddings of a few hundred photos are
 * nearly always linearly separable in ~1000 dimensions, so with no penalty the weights grow without bound and the
 * probabilities become overconfident; some penalty is needed. Measured with MobileNetV2 embeddings of the real
 * ants/bees and cats/dogs sets over 12 random re-splits each, validation accuracy is flat from 1e-3 to 3e-2
 * (within 0.1%), while log loss improves slowly with more penalty. 3e-3 equals scikit-learn's default
 * (C = 1, i.e. 1 / n in mean form) at a few hundred photos, the size this head is trained on at the edge, and
 * converges in about a dozen iterations there.
 */
export const DEFAULT_L2 = 3e-3;
export const DEFAULT_MAX_ITERATIONS = 200;
export const DEFAULT_TOLERANCE = 1e-4;

/** Features whose training values are all equal get scale 1 (their weight gets no gradient and stays 0). */
const CONSTANT_SCALE = 1;
/**
 * Standard deviations are floored at this fraction of the typical (RMS) standard deviation, so a nearly-dead
 * ReLU channel (zero on all but a couple of photos) is not blown up into a huge standardised value on new photos.
 */
const SCALE_FLOOR_FRACTION = 0.05;

/**
 * Trains a softmax-regression head on labelled embeddings.
 * @param data embeddings [n * embeddingSize] (float32, or 8-bit with a per-row offset and step) with labelIndex [n]
 *   into labels
 * @returns the head (labels in `data.labels` order, temperature 1) and how training went
 * @throws BadRequestError when there are fewer than 2 labels, a label has no examples, lengths disagree,
 *   an embedding value is not finite, an option is out of range, or `initial` has another embeddingSize
 */
export function trainHead(data: TrainingSet | QuantisedTrainingSet, options: TrainOptions): TrainResult {
  const { n, d, k } = validate(data, options);
  const rows = rowData(data);
  const l2 = options.l2 ?? DEFAULT_L2;
  const maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const maxEvaluations = options.maxEvaluations ?? Infinity;
  const userDeadline = options.deadline ?? never;

  const order = canonicalOrder(rows, data.labelIndex, n, d);
  const { mean, scale, constant } = standardisation(rows, order, n, d);
  const rowWeight = rowWeights(data.labelIndex, order, k, options.classWeighting ?? 'balanced');
  const labelOfRow = new Int32Array(n);
  for (let r = 0; r < n; r++) labelOfRow[r] = data.labelIndex[order[r]];

  const objective = new Objective(rows, d, k, order, labelOfRow, rowWeight, mean, scale, constant, l2);
  const start = options.initial ? warmStart(options.initial, data.labels, mean, scale) : new Float64Array(k * d + k);
  const overBudget = (): boolean => objective.evaluations >= maxEvaluations;
  const run = minimiseLbfgs(objective, start, { maxIterations, tolerance, deadline: () => overBudget() || userDeadline() });
  const stopReason = run.stopReason === 'deadline' && overBudget() ? 'max_evaluations' : run.stopReason;

  return {
    head: toHead(run.x, data.labels, mean, scale, d, k),
    iterations: run.iterations,
    initialLoss: run.initialF,
    finalLoss: run.f,
    converged: stopReason === 'converged',
    stopReason,
    evaluations: objective.evaluations,
  };
}

/**
 * The per-feature standardisation `trainHead` fits (mean, and 1 / std floored against dead channels), for
 * other heads trained on the same features.
 * @returns featureMean and featureScale [embeddingSize], as stored in a Head
 * @throws BadRequestError as {@link trainHead} on an inconsistent set
 */
export function fitStandardisation(data: TrainingSet): { featureMean: Float32Array; featureScale: Float32Array } {
  const { n, d } = validate(data, { seed: 0 });
  const rows = rowData(data);
  const { mean, scale } = standardisation(rows, canonicalOrder(rows, data.labelIndex, n, d), n, d);
  return { featureMean: Float32Array.from(mean), featureScale: Float32Array.from(scale) };
}

function isQuantised(data: TrainingSet | QuantisedTrainingSet): data is QuantisedTrainingSet {
  return !(data.embeddings instanceof Float32Array);
}

function rowData(data: TrainingSet | QuantisedTrainingSet): RowData {
  return isQuantised(data)
    ? { values: data.embeddings.codes, rowOffset: data.embeddings.offset, rowStep: data.embeddings.step }
    : { values: data.embeddings, rowOffset: null, rowStep: null };
}

function validate(data: TrainingSet | QuantisedTrainingSet, options: TrainOptions): { n: number; d: number; k: number } {
  const { embeddings, embeddingSize: d, labelIndex, labels } = data;
  if (!Array.isArray(labels) || labels.length < 2) {
    throw new BadRequestError(`training needs at least 2 labels, got ${labels?.length ?? 0}`, 'too_few_labels');
  }
  const seen = new Set<string>();
  for (const label of labels) {
    if (typeof label !== 'string' || label.length === 0) throw new BadRequestError('labels must be non-empty strings');
    if (seen.has(label)) throw new BadRequestError(`label "${label}" appears twice in labels`);
    seen.add(label);
  }
  if (!Number.isInteger(d) || d < 1) throw new BadRequestError(`embeddingSize must be a positive integer, got ${d}`);
  const quantised = isQuantised(data);
  if (quantised) {
    const { codes, offset, step, width } = data.embeddings;
    if (!(codes instanceof Uint8Array && offset instanceof Float32Array && step instanceof Float32Array)) {
      throw new BadRequestError('quantised embeddings need Uint8Array codes and Float32Array offset and step');
    }
    if (width !== d) throw new BadRequestError(`quantised embeddings have width ${width} but embeddingSize is ${d}`);
  } else if (!(embeddings instanceof Float32Array)) throw new BadRequestError('embeddings must be a Float32Array');
  if (!(labelIndex instanceof Int32Array)) throw new BadRequestError('labelIndex must be an Int32Array');
  const n = labelIndex.length;
  const values = quantised ? data.embeddings.codes : (embeddings as Float32Array);
  if (values.length !== n * d) {
    throw new BadRequestError(
      `embeddings have ${values.length} values but ${n} labels x embeddingSize ${d} = ${n * d} were expected`,
    );
  }
  if (quantised && (data.embeddings.offset.length !== n || data.embeddings.step.length !== n)) {
    throw new BadRequestError(`quantised embeddings need an offset and a step for each of the ${n} rows`);
  }
  const k = labels.length;
  const counts = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const y = labelIndex[i];
    if (y < 0 || y >= k) throw new BadRequestError(`labelIndex[${i}] is ${y}; it must be in [0, ${k - 1}]`);
    counts[y]++;
  }
  const empty = labels.filter((_, c) => counts[c] === 0);
  if (empty.length > 0) {
    throw new BadRequestError(
      `every label needs at least one example; none for ${empty.map((l) => `"${l}"`).join(', ')} (drop the label or add photos)`,
    );
  }
  if (quantised) {
    const { offset, step } = data.embeddings;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(offset[i]) || !Number.isFinite(step[i]) || !Number.isFinite(offset[i] + 255 * step[i])) {
        throw new BadRequestError(`embedding ${i} has a non-finite offset or step (${offset[i]}, ${step[i]})`);
      }
    }
  } else {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new BadRequestError(`embedding ${Math.floor(i / d)} has a non-finite value (${values[i]}) at index ${i % d}`);
      }
    }
  }
  const { seed, l2, maxIterations, tolerance, classWeighting, initial } = options;
  if (!Number.isFinite(seed)) throw new BadRequestError(`seed must be a finite number, got ${seed}`);
  if (l2 !== undefined && !(Number.isFinite(l2) && l2 >= 0)) throw new BadRequestError(`l2 must be a finite number >= 0, got ${l2}`);
  if (maxIterations !== undefined && !(Number.isInteger(maxIterations) && maxIterations >= 1)) {
    throw new BadRequestError(`maxIterations must be an integer >= 1, got ${maxIterations}`);
  }
  if (options.maxEvaluations !== undefined && !(Number.isInteger(options.maxEvaluations) && options.maxEvaluations >= 1)) {
    throw new BadRequestError(`maxEvaluations must be an integer >= 1, got ${options.maxEvaluations}`);
  }
  if (tolerance !== undefined && !(Number.isFinite(tolerance) && tolerance > 0)) {
    throw new BadRequestError(`tolerance must be a finite number > 0, got ${tolerance}`);
  }
  if (classWeighting !== undefined && classWeighting !== 'balanced' && classWeighting !== 'none') {
    throw new BadRequestError(`classWeighting must be 'balanced' or 'none', got ${String(classWeighting)}`);
  }
  if (initial && initial.embeddingSize !== d) {
    throw new BadRequestError(
      `initial head expects embeddings of size ${initial.embeddingSize} but the training set has ${d}; was the backbone changed?`,
    );
  }
  return { n, d, k };
}

/**
 * A permutation of the rows that depends only on their content: by label, then by a hash of the float bits (or of
 * the codes, offset and step), then by the values themselves. Identical rows are interchangeable, so summing in
 * this order makes training independent of the order the caller listed the examples in.
 */
function canonicalOrder(rows: RowData, labelIndex: Int32Array, n: number, d: number): Int32Array {
  const { values, rowOffset, rowStep } = rows;
  // Float rows hash and compare their bits; quantised rows their codes, then their offset and step bits.
  const words = values instanceof Float32Array ? new Uint32Array(values.buffer, values.byteOffset, values.length) : values;
  const offsetBits = rowOffset ? new Uint32Array(rowOffset.buffer, rowOffset.byteOffset, n) : null;
  const stepBits = rowStep ? new Uint32Array(rowStep.buffer, rowStep.byteOffset, n) : null;
  const hashA = new Uint32Array(n);
  const hashB = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let a = 0x811c9dc5;
    let b = 0x9747b28c;
    for (let j = i * d, end = j + d; j < end; j++) {
      const w = words[j];
      a = Math.imul(a ^ w, 0x01000193);
      b = Math.imul(b ^ w, 0x5bd1e995);
      b ^= b >>> 15;
    }
    if (offsetBits && stepBits) {
      for (const w of [offsetBits[i], stepBits[i]]) {
        a = Math.imul(a ^ w, 0x01000193);
        b = Math.imul(b ^ w, 0x5bd1e995);
        b ^= b >>> 15;
      }
    }
    hashA[i] = a >>> 0;
    hashB[i] = b >>> 0;
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((p, q) => {
    if (labelIndex[p] !== labelIndex[q]) return labelIndex[p] - labelIndex[q];
    if (hashA[p] !== hashA[q]) return hashA[p] - hashA[q];
    if (hashB[p] !== hashB[q]) return hashB[p] - hashB[q];
    for (let j = 0; j < d; j++) {
      const diff = words[p * d + j] - words[q * d + j];
      if (diff !== 0) return diff;
    }
    if (offsetBits && stepBits) return offsetBits[p] - offsetBits[q] || stepBits[p] - stepBits[q];
    return 0;
  });
  return Int32Array.from(order);
}

/** Per-feature mean and 1/std (population), in float64, summed in canonical order; constant[j] = 1 for constant features. */
function standardisation(
  rows: RowData, order: Int32Array, n: number, d: number,
): { mean: Float64Array; scale: Float64Array; constant: Uint8Array } {
  const { values: x, rowOffset, rowStep } = rows;
  const mean = new Float64Array(d);
  const variance = new Float64Array(d);
  const min = new Float64Array(d).fill(Infinity);
  const max = new Float64Array(d).fill(-Infinity);
  for (let r = 0; r < n; r++) {
    const o = order[r] * d;
    const a = rowOffset ? rowOffset[order[r]] : 0;
    const s = rowStep ? rowStep[order[r]] : 1;
    for (let j = 0; j < d; j++) {
      // a + s * x is exact for float rows (0 + 1 * x), so they keep their values bit for bit.
      const v = a + s * x[o + j];
      mean[j] += v;
      if (v < min[j]) min[j] = v;
      if (v > max[j]) max[j] = v;
    }
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let r = 0; r < n; r++) {
    const o = order[r] * d;
    const a = rowOffset ? rowOffset[order[r]] : 0;
    const s = rowStep ? rowStep[order[r]] : 1;
    for (let j = 0; j < d; j++) {
      const delta = a + s * x[o + j] - mean[j];
      variance[j] += delta * delta;
    }
  }
  let sumVariance = 0;
  let varying = 0;
  for (let j = 0; j < d; j++) {
    variance[j] /= n;
    if (max[j] > min[j]) {
      sumVariance += variance[j];
      varying++;
    }
  }
  const floor = varying > 0 ? SCALE_FLOOR_FRACTION * Math.sqrt(sumVariance / varying) : 0;
  const scale = new Float64Array(d);
  const constant = new Uint8Array(d);
  for (let j = 0; j < d; j++) {
    constant[j] = max[j] > min[j] ? 0 : 1;
    // Rounded to float32 here because that is what the head stores; training then optimises the exact model served.
    scale[j] = max[j] > min[j] ? Math.fround(1 / Math.max(Math.sqrt(variance[j]), floor)) : CONSTANT_SCALE;
    mean[j] = Math.fround(mean[j]);
  }
  return { mean, scale, constant };
}

/** Weight of each canonical row, divided by the total so the loss is a weighted mean. */
function rowWeights(labelIndex: Int32Array, order: Int32Array, k: number, weighting: 'balanced' | 'none'): Float64Array {
  const n = order.length;
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) counts[labelIndex[i]]++;
  const classWeight = new Float64Array(k);
  let total = 0;
  for (let c = 0; c < k; c++) {
    classWeight[c] = weighting === 'balanced' ? n / (k * counts[c]) : 1;
    total += classWeight[c] * counts[c];
  }
  const weights = new Float64Array(n);
  for (let r = 0; r < n; r++) weights[r] = classWeight[labelIndex[order[r]]] / total;
  return weights;
}

/**
 * Parameters theta = [W^T (k x d, class-major), b (k)] in the new standardisation. Exact reparametrisation of
 * the initial head: z_old . w = z_new . (w * s_old / s_new) + sum_j (m_new - m_old) s_old w.
 */
function warmStart(initial: Head, labels: string[], mean: Float64Array, scale: Float64Array): Float64Array {
  const d = mean.length;
  const k = labels.length;
  const kOld = initial.labels.length;
  const theta = new Float64Array(k * d + k);
  for (let c = 0; c < k; c++) {
    const old = initial.labels.indexOf(labels[c]);
    if (old < 0) continue;
    let shift = initial.bias[old];
    for (let j = 0; j < d; j++) {
      const w = initial.weights[j * kOld + old] * initial.featureScale[j];
      theta[c * d + j] = w / scale[j];
      shift += (mean[j] - initial.featureMean[j]) * w;
    }
    theta[k * d + c] = shift;
  }
  return theta;
}

function toHead(theta: Float64Array, labels: string[], mean: Float64Array, scale: Float64Array, d: number, k: number): Head {
  const weights = new Float32Array(d * k);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) weights[j * k + c] = theta[c * d + j];
  return {
    labels: [...labels],
    embeddingSize: d,
    featureMean: Float32Array.from(mean),
    featureScale: Float32Array.from(scale),
    weights,
    bias: Float32Array.from(theta.subarray(k * d)),
    temperature: 1,
  };
}
