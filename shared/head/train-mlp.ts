/**
 * The alternative head: one hidden ReLU layer between the standardised embedding and the softmax, trained by
 * mini-batch Adam on the class-weighted cross-entropy plus L2, with early stopping on a held-out set.
 * Deterministic under the seed (initialisation and batch order come from it; no clock).
 */
import { BadRequestError } from '../errors.ts';
import type { Head } from './head-types.ts';
import { createRandom } from './random.ts';
import { fitStandardisation, type TrainingSet } from './train-head.ts';

export interface MlpOptions {
  seed: number;
  /** Hidden units. Default 64. */
  hidden?: number;
  /** L2 penalty on both weight matrices, per unit of mean loss. Default 1e-3. */
  l2?: number;
  /** Adam step size. Default 1e-3. */
  learningRate?: number;
  batchSize?: number;
  /** Passes over the training data at most. Default 60. */
  maxEpochs?: number;
  /** Stop after this many epochs without a better held-out loss. Default 6. */
  patience?: number;
  /** Held-out examples for early stopping (labels in the same order); required. */
  validation: TrainingSet;
}

export interface MlpResult {
  head: Head;
  /** Epochs run, and the one whose weights are returned. */
  epochs: number;
  bestEpoch: number;
  /** Mean held-out cross-entropy at bestEpoch. */
  validationLoss: number;
}

/**
 * Trains a one-hidden-layer head.
 * @throws BadRequestError on inconsistent sets or options (fewer than 2 labels, an empty label, mismatched sizes)
 */
export function trainMlpHead(data: TrainingSet, options: MlpOptions): MlpResult {
  const { featureMean, featureScale } = fitStandardisation(data);
  const d = data.embeddingSize;
  const k = data.labels.length;
  const n = data.labelIndex.length;
  const { h, l2, rate, batchSize, maxEpochs, patience } = mlpSettings(options);
  const val = options.validation;
  checkValidationSet(data, val);

  const random = createRandom(options.seed);
  const z = standardise(data.embeddings, n, d, featureMean, featureScale);
  const zVal = standardise(val.embeddings, val.labelIndex.length, d, featureMean, featureScale);
  const params = initialParams(random, d, h, k);
  const [w1, b1, w2, b2] = params;
  const grads = params.map((p) => new Float64Array(p.length));
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const classWeight = balancedClassWeights(data.labelIndex, k);

  let best = { loss: Infinity, epoch: 0, params: params.map((p) => Float64Array.from(p)) };
  let step = 0;
  let epoch = 0;
  const order = Array.from({ length: n }, (_, i) => i);
  const a = new Float64Array(h);
  const logits = new Float64Array(k);
  const da = new Float64Array(h);
  while (epoch < maxEpochs && epoch - best.epoch < patience) {
    epoch++;
    for (let i = n - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < n; start += batchSize) {
      const batch = order.slice(start, start + batchSize);
      for (const g of grads) g.fill(0);
      let weightSum = 0;
      for (const i of batch) {
        const y = data.labelIndex[i];
        const weight = classWeight[y];
        weightSum += weight;
        forward(z, i * d, d, h, k, w1, b1, w2, b2, a, logits);
        softmaxInPlace(logits);
        logits[y] -= 1;
        da.fill(0);
        for (let u = 0; u < h; u++) {
          if (a[u] <= 0) continue;
          for (let c = 0; c < k; c++) {
            grads[2][u * k + c] += weight * a[u] * logits[c];
            da[u] += weight * w2[u * k + c] * logits[c];
          }
        }
        for (let c = 0; c < k; c++) grads[3][c] += weight * logits[c];
        for (let j = 0; j < d; j++) {
          const zj = z[i * d + j];
          if (zj === 0) continue;
          const row = j * h;
          for (let u = 0; u < h; u++) grads[0][row + u] += zj * da[u];
        }
        for (let u = 0; u < h; u++) grads[1][u] += da[u];
      }
      step++;
      adamStep(params, grads, m, v, rate * Math.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step), weightSum, l2);
    }
    const loss = meanLoss(zVal, val.labelIndex, d, h, k, w1, b1, w2, b2);
    if (loss < best.loss) best = { loss, epoch, params: params.map((p) => Float64Array.from(p)) };
  }
  const [bw1, bb1, bw2, bb2] = best.params;
  const head: Head = {
    labels: [...data.labels],
    embeddingSize: d,
    featureMean,
    featureScale,
    hidden: { size: h, weights: Float32Array.from(bw1), bias: Float32Array.from(bb1) },
    weights: Float32Array.from(bw2),
    bias: Float32Array.from(bb2),
    temperature: 1,
  };
  return { head, epochs: epoch, bestEpoch: best.epoch, validationLoss: best.loss };
}

/** He initialisation for the ReLU layer, Glorot for the softmax layer; biases at zero: [w1, b1, w2, b2]. */
function initialParams(random: ReturnType<typeof createRandom>, d: number, h: number, k: number): Float64Array[] {
  return [
    Float64Array.from({ length: d * h }, () => random.normal() * Math.sqrt(2 / d)),
    new Float64Array(h),
    Float64Array.from({ length: h * k }, () => random.normal() * Math.sqrt(2 / (h + k))),
    new Float64Array(k),
  ];
}

/** n / (k * count) per class, so every class weighs the same in the loss (0 for a class with no example). */
function balancedClassWeights(labelIndex: Int32Array, k: number): number[] {
  const n = labelIndex.length;
  const counts = new Float64Array(k);
  for (const y of labelIndex) counts[y]++;
  return Array.from(counts, (c) => (c > 0 ? n / (k * c) : 0));
}

/** The options with their defaults filled in. */
function mlpSettings(options: MlpOptions) {
  const h = options.hidden ?? 64;
  if (!(Number.isInteger(h) && h >= 1)) throw new BadRequestError(`hidden must be a positive integer, got ${h}`);
  return {
    h,
    l2: options.l2 ?? 1e-3,
    rate: options.learningRate ?? 1e-3,
    batchSize: options.batchSize ?? 32,
    maxEpochs: options.maxEpochs ?? 60,
    patience: options.patience ?? 6,
  };
}

function checkValidationSet(data: TrainingSet, val: TrainingSet): void {
  if (val.embeddingSize !== data.embeddingSize || val.labels.join('\n') !== data.labels.join('\n')) {
    throw new BadRequestError('the validation set must have the training set\'s embedding size and labels');
  }
  if (val.labelIndex.length === 0) throw new BadRequestError('early stopping needs at least one validation example');
}

/**
 * One Adam update of every parameter array from the batch's summed gradients (divided by `weightSum`), with the
 * L2 penalty on the two weight matrices (arrays 0 and 2). `corrected` is the bias-corrected step size.
 */
function adamStep(
  params: Float64Array[], grads: Float64Array[], m: Float64Array[], v: Float64Array[],
  corrected: number, weightSum: number, l2: number,
): void {
  params.forEach((p, t) => {
    const g = grads[t];
    const penalised = t === 0 || t === 2;
    for (let q = 0; q < p.length; q++) {
      const gq = g[q] / weightSum + (penalised ? l2 * p[q] : 0);
      m[t][q] = 0.9 * m[t][q] + 0.1 * gq;
      v[t][q] = 0.999 * v[t][q] + 0.001 * gq * gq;
      p[q] -= (corrected * m[t][q]) / (Math.sqrt(v[t][q]) + 1e-8);
    }
  });
}

function standardise(x: Float32Array, n: number, d: number, mean: Float32Array, scale: Float32Array): Float64Array {
  const z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) z[i * d + j] = (x[i * d + j] - mean[j]) * scale[j];
  return z;
}

function forward(
  z: Float64Array, at: number, d: number, h: number, k: number,
  w1: Float64Array, b1: Float64Array, w2: Float64Array, b2: Float64Array, a: Float64Array, logits: Float64Array,
): void {
  a.set(b1);
  for (let j = 0; j < d; j++) {
    const zj = z[at + j];
    if (zj === 0) continue;
    const row = j * h;
    for (let u = 0; u < h; u++) a[u] += zj * w1[row + u];
  }
  for (let u = 0; u < h; u++) if (a[u] < 0) a[u] = 0;
  logits.set(b2);
  for (let u = 0; u < h; u++) {
    if (a[u] === 0) continue;
    for (let c = 0; c < k; c++) logits[c] += a[u] * w2[u * k + c];
  }
}

function softmaxInPlace(x: Float64Array): void {
  let max = -Infinity;
  for (const v of x) max = Math.max(max, v);
  let sum = 0;
  for (let c = 0; c < x.length; c++) sum += x[c] = Math.exp(x[c] - max);
  for (let c = 0; c < x.length; c++) x[c] /= sum;
}

function meanLoss(z: Float64Array, labelIndex: Int32Array, d: number, h: number, k: number, w1: Float64Array, b1: Float64Array, w2: Float64Array, b2: Float64Array): number {
  const a = new Float64Array(h);
  const logits = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < labelIndex.length; i++) {
    forward(z, i * d, d, h, k, w1, b1, w2, b2, a, logits);
    softmaxInPlace(logits);
    total -= Math.log(Math.max(logits[labelIndex[i]], 1e-15));
  }
  return total / labelIndex.length;
}
