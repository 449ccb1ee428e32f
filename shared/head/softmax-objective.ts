/**
 * The softmax-regression objective `trainHead` minimises: weighted mean cross-entropy plus the L2 term, and its
 * gradient, over float32 or 8-bit quantised embedding rows.
 */
import type { DifferentiableFunction } from './lbfgs.ts';

/**
 * The embeddings as the fit reads them: `values` (float32 values, or 8-bit codes), and for codes the per-row
 * affine (value = offset[r] + step[r] * code).
 */
export interface RowData {
  values: Float32Array | Uint8Array;
  rowOffset: Float32Array | null;
  rowStep: Float32Array | null;
}

/**
 * F and its gradient. The standardisation is folded into the weights (z . w = x . (s w) - m . (s w)) so the
 * raw float32 embeddings are read directly: no standardised copy of the data set in memory. Quantised rows are
 * read as codes too: x . e = offset * sum(e) + step * (codes . e), and the gradient's sum_r residual_r x_r
 * splits the same way (an offset term per class, added to every feature at the end).
 */
export class Objective implements DifferentiableFunction {
  evaluations = 0;
  private readonly effective: Float64Array;
  private readonly offset: Float64Array;
  private readonly rawGradient: Float64Array;
  private readonly biasGradient: Float64Array;
  private readonly logits: Float64Array;
  private readonly residual: Float64Array;
  /** quantised rows only: sum_j effective[c][j], the residuals times each row's step, and sum_r residual_rc offset_r */
  private readonly effectiveSum: Float64Array;
  private readonly scaledResidual: Float64Array;
  private readonly offsetGradient: Float64Array;

  constructor(
    private readonly rows: RowData,
    private readonly d: number,
    private readonly k: number,
    private readonly order: Int32Array,
    private readonly labelOfRow: Int32Array,
    private readonly rowWeight: Float64Array,
    private readonly mean: Float64Array,
    private readonly scale: Float64Array,
    private readonly constant: Uint8Array,
    private readonly l2: number,
  ) {
    this.effective = new Float64Array(k * d);
    this.offset = new Float64Array(k);
    this.rawGradient = new Float64Array(k * d);
    this.biasGradient = new Float64Array(k);
    this.logits = new Float64Array(4 * k);
    this.residual = new Float64Array(4 * k);
    this.effectiveSum = new Float64Array(k);
    this.scaledResidual = new Float64Array(4 * k);
    this.offsetGradient = new Float64Array(k);
  }

  /** Returns F(theta) and writes dF/dtheta into gradient. */
  evaluate(theta: Float64Array, gradient: Float64Array): number {
    this.evaluations++;
    const { d, k, order, labelOfRow, rowWeight, mean, scale, effective, offset, rawGradient, biasGradient, logits, residual } = this;
    const { effectiveSum, scaledResidual, offsetGradient } = this;
    const { values: x, rowOffset, rowStep } = this.rows;
    const n = order.length;
    for (let c = 0; c < k; c++) {
      let shift = theta[k * d + c];
      let sum = 0;
      for (let j = 0; j < d; j++) {
        const v = scale[j] * theta[c * d + j];
        effective[c * d + j] = v;
        shift -= mean[j] * v;
        sum += v;
      }
      offset[c] = shift;
      effectiveSum[c] = sum;
    }
    rawGradient.fill(0);
    biasGradient.fill(0);
    offsetGradient.fill(0);
    let loss = 0;
    // Four rows at a time: each weight load serves four rows and each gradient store takes four rows' terms.
    // A short last block repeats its last row with weight 0, which adds exact zeros.
    for (let r = 0; r < n; r += 4) {
      const r1 = Math.min(r + 1, n - 1);
      const r2 = Math.min(r + 2, n - 1);
      const r3 = Math.min(r + 3, n - 1);
      const o0 = order[r] * d;
      const o1 = order[r1] * d;
      const o2 = order[r2] * d;
      const o3 = order[r3] * d;
      blockDots(x, o0, o1, o2, o3, effective, d, k, logits);
      for (let q = 0; q < 4; q++) {
        const row = Math.min(r + q, n - 1);
        if (rowOffset && rowStep) {
          const a = rowOffset[order[row]];
          const s = rowStep[order[row]];
          for (let c = 0; c < k; c++) logits[q * k + c] = s * logits[q * k + c] + (a * effectiveSum[c] + offset[c]);
        } else {
          for (let c = 0; c < k; c++) logits[q * k + c] += offset[c];
        }
      }
      for (let q = 0; q < 4; q++) {
        const row = r + q;
        const weight = row < n ? rowWeight[row] : 0;
        const y = labelOfRow[Math.min(row, n - 1)];
        loss += weight * softmaxResidual(logits, residual, q * k, k, y, weight);
        for (let c = 0; c < k; c++) biasGradient[c] += residual[q * k + c];
      }
      if (rowOffset && rowStep) {
        for (let q = 0; q < 4; q++) {
          const row = order[Math.min(r + q, n - 1)];
          const a = rowOffset[row];
          const s = rowStep[row];
          for (let c = 0; c < k; c++) {
            const e = residual[q * k + c];
            scaledResidual[q * k + c] = s * e;
            offsetGradient[c] += a * e;
          }
        }
        blockGradient(x, o0, o1, o2, o3, scaledResidual, d, k, rawGradient);
      } else {
        blockGradient(x, o0, o1, o2, o3, residual, d, k, rawGradient);
      }
    }
    return loss + this.penaltyAndGradient(theta, gradient);
  }

  /**
   * Adds the L2 term to the gradient and maps the data gradient (computed on raw rows) back through the
   * standardisation into `gradient`; returns the L2 term of F.
   */
  private penaltyAndGradient(theta: Float64Array, gradient: Float64Array): number {
    const { d, k, mean, scale, constant, l2, rawGradient, biasGradient, offsetGradient } = this;
    let penalty = 0;
    for (let c = 0; c < k; c++) {
      const base = c * d;
      const gb = biasGradient[c];
      const go = offsetGradient[c];
      for (let j = 0; j < d; j++) {
        const w = theta[base + j];
        penalty += w * w;
        // A constant feature's data gradient is exactly 0; computed, it would be a rounding residue of x - mean.
        const data = constant[j] === 1 ? 0 : scale[j] * (rawGradient[base + j] + go - mean[j] * gb);
        gradient[base + j] = data + l2 * w;
      }
      gradient[k * d + c] = gb;
    }
    return 0.5 * l2 * penalty;
  }
}

/**
 * logits[q * k + c] = x_row_q . effective_c for the four rows starting at o0..o3 (float values or 8-bit codes).
 * Two classes per pass over the rows: eight independent accumulators and six loads per eight multiply-adds is
 * what V8's scalar code does fastest (about 1.7x the one-class loop).
 */
function blockDots(
  x: Float32Array | Uint8Array, o0: number, o1: number, o2: number, o3: number,
  effective: Float64Array, d: number, k: number, logits: Float64Array,
): void {
  let c = 0;
  for (; c + 1 < k; c += 2) {
    const b0 = c * d;
    const b1 = b0 + d;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0, e0 = 0, e1 = 0, e2 = 0, e3 = 0;
    for (let j = 0; j < d; j++) {
      const v = effective[b0 + j];
      const w = effective[b1 + j];
      const x0 = x[o0 + j];
      const x1 = x[o1 + j];
      const x2 = x[o2 + j];
      const x3 = x[o3 + j];
      a0 += x0 * v;
      a1 += x1 * v;
      a2 += x2 * v;
      a3 += x3 * v;
      e0 += x0 * w;
      e1 += x1 * w;
      e2 += x2 * w;
      e3 += x3 * w;
    }
    logits[c] = a0;
    logits[k + c] = a1;
    logits[2 * k + c] = a2;
    logits[3 * k + c] = a3;
    logits[c + 1] = e0;
    logits[k + c + 1] = e1;
    logits[2 * k + c + 1] = e2;
    logits[3 * k + c + 1] = e3;
  }
  if (c < k) {
    const b0 = c * d;
    let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (let j = 0; j < d; j++) {
      const v = effective[b0 + j];
      a0 += x[o0 + j] * v;
      a1 += x[o1 + j] * v;
      a2 += x[o2 + j] * v;
      a3 += x[o3 + j] * v;
    }
    logits[c] = a0;
    logits[k + c] = a1;
    logits[2 * k + c] = a2;
    logits[3 * k + c] = a3;
  }
}

/** rawGradient[c * d + j] += sum_q residual[q * k + c] * x_row_q[j] for the four rows, two classes per pass. */
function blockGradient(
  x: Float32Array | Uint8Array, o0: number, o1: number, o2: number, o3: number,
  residual: Float64Array, d: number, k: number, rawGradient: Float64Array,
): void {
  let c = 0;
  for (; c + 1 < k; c += 2) {
    const b0 = c * d;
    const b1 = b0 + d;
    const e0 = residual[c], e1 = residual[k + c], e2 = residual[2 * k + c], e3 = residual[3 * k + c];
    const f0 = residual[c + 1], f1 = residual[k + c + 1], f2 = residual[2 * k + c + 1], f3 = residual[3 * k + c + 1];
    for (let j = 0; j < d; j++) {
      const x0 = x[o0 + j];
      const x1 = x[o1 + j];
      const x2 = x[o2 + j];
      const x3 = x[o3 + j];
      rawGradient[b0 + j] += e0 * x0 + e1 * x1 + e2 * x2 + e3 * x3;
      rawGradient[b1 + j] += f0 * x0 + f1 * x1 + f2 * x2 + f3 * x3;
    }
  }
  if (c < k) {
    const b0 = c * d;
    const e0 = residual[c], e1 = residual[k + c], e2 = residual[2 * k + c], e3 = residual[3 * k + c];
    for (let j = 0; j < d; j++) rawGradient[b0 + j] += e0 * x[o0 + j] + e1 * x[o1 + j] + e2 * x[o2 + j] + e3 * x[o3 + j];
  }
}

/**
 * For the row whose logits are at logits[at .. at + k): writes weight * (softmax - onehot(y)) into
 * residual[at ..] and returns the cross-entropy -log p_y = logsumexp - logit_y (max-shifted, never NaN).
 */
function softmaxResidual(logits: Float64Array, residual: Float64Array, at: number, k: number, y: number, weight: number): number {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (logits[at + c] > max) max = logits[at + c];
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const e = Math.exp(logits[at + c] - max);
    residual[at + c] = e;
    sum += e;
  }
  for (let c = 0; c < k; c++) residual[at + c] = weight * (residual[at + c] / sum - (c === y ? 1 : 0));
  return Math.log(sum) + max - logits[at + y];
}
