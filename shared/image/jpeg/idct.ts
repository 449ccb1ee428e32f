/**
 * Inverse DCTs that write N x N pixels per block, N from 1 to 16. A size below 8 evaluates the same
 * continuous reconstruction at N evenly spaced points per axis using only the lowest N frequencies, which
 * is how libjpeg scales by N/8 in the DCT domain: the work and the output shrink together. Sizes above 8
 * (chroma made at twice the luma scale instead of upsampled) evaluate all 8 frequencies at N points.
 * 8, 4, 3 and 2 have butterflies; the other sizes (small images only) use the basis matrix.
 */

/** Pixels per block side: 1..16. */
export type IdctSize = number;

const AAN_SCALE = [1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.5411961, 0.275899379];

/**
 * Prepares a quantisation table (64 values in natural order) for one IDCT size: for size 8 the
 * dequantisers carry the AAN scale factors and the final 1/8; for smaller sizes they are the plain values.
 */
export function prepareQuantTable(quant: Uint16Array, size: IdctSize): Float32Array {
  const out = new Float32Array(64);
  for (let i = 0; i < 64; i++) {
    out[i] = size === 8 ? (quant[i] * AAN_SCALE[i >> 3] * AAN_SCALE[i & 7]) / 8 : quant[i];
  }
  return out;
}

/** basis[x * n + u] = C(u)/2 * cos((2x+1) u pi / 2n), C(0) = 1/sqrt(2), C(u) = 1 otherwise. */
function reducedBasis(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let x = 0; x < n; x++) {
    for (let u = 0; u < n; u++) {
      m[x * n + u] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * n));
    }
  }
  return m;
}
const B2 = reducedBasis(2);
const work = new Float64Array(16 * 8);
const bases: Float64Array[] = [];

/**
 * Dequantises and inverse-transforms one block of coefficients (natural order, at `coefs[off..off+63]`)
 * into `size` x `size` pixels at `out[outOff]` with row stride `stride`. `q` comes from prepareQuantTable
 * for the same size. The clamped output array rounds and limits to 0..255.
 */
export function idctBlock(
  coefs: Int16Array | Int32Array, off: number, q: Float32Array,
  out: Uint8ClampedArray, outOff: number, stride: number, size: IdctSize,
): void {
  if (size === 8) idct8(coefs, off, q, out, outOff, stride);
  else if (size === 4) idct4(coefs, off, q, out, outOff, stride);
  else if (size === 3) idct3(coefs, off, q, out, outOff, stride);
  else if (size === 2) idct2(coefs, off, q, out, outOff, stride);
  else if (size === 1) out[outOff] = (coefs[off] * q[0]) / 8 + 128;
  else idctN(coefs, off, q, out, outOff, stride, size);
}

/** Float AAN IDCT (the structure of libjpeg's jidctflt.c). */
function idct8(c: Int16Array | Int32Array, off: number, q: Float32Array, out: Uint8ClampedArray, outOff: number, stride: number): void {
  const ws = work;
  for (let col = 0; col < 8; col++) {
    const i = off + col;
    if (c[i + 8] === 0 && c[i + 16] === 0 && c[i + 24] === 0 && c[i + 32] === 0 && c[i + 40] === 0 &&
        c[i + 48] === 0 && c[i + 56] === 0) {
      const dc = c[i] * q[col];
      ws[col] = dc; ws[col + 8] = dc; ws[col + 16] = dc; ws[col + 24] = dc;
      ws[col + 32] = dc; ws[col + 40] = dc; ws[col + 48] = dc; ws[col + 56] = dc;
      continue;
    }
    let t0 = c[i] * q[col];
    let t1 = c[i + 16] * q[col + 16];
    let t2 = c[i + 32] * q[col + 32];
    let t3 = c[i + 48] * q[col + 48];
    let t10 = t0 + t2;
    let t11 = t0 - t2;
    let t13 = t1 + t3;
    let t12 = (t1 - t3) * 1.414213562 - t13;
    t0 = t10 + t13; t3 = t10 - t13; t1 = t11 + t12; t2 = t11 - t12;
    let t4 = c[i + 8] * q[col + 8];
    let t5 = c[i + 24] * q[col + 24];
    let t6 = c[i + 40] * q[col + 40];
    let t7 = c[i + 56] * q[col + 56];
    const z13 = t6 + t5, z10 = t6 - t5, z11 = t4 + t7, z12 = t4 - t7;
    t7 = z11 + z13;
    t11 = (z11 - z13) * 1.414213562;
    const z5 = (z10 + z12) * 1.847759065;
    t10 = z5 - z12 * 1.082392200;
    t12 = z5 - z10 * 2.613125930;
    t6 = t12 - t7; t5 = t11 - t6; t4 = t10 - t5;
    ws[col] = t0 + t7; ws[col + 56] = t0 - t7;
    ws[col + 8] = t1 + t6; ws[col + 48] = t1 - t6;
    ws[col + 16] = t2 + t5; ws[col + 40] = t2 - t5;
    ws[col + 24] = t3 + t4; ws[col + 32] = t3 - t4;
  }
  for (let row = 0; row < 64; row += 8) {
    const o = outOff + (row >> 3) * stride;
    // +128.5 and truncation round to nearest; the clamped store limits to 0..255.
    let t0 = ws[row] + 128.5;
    let t2 = ws[row + 4];
    let t10 = t0 + t2;
    let t11 = t0 - t2;
    let t1 = ws[row + 2], t3 = ws[row + 6];
    let t13 = t1 + t3;
    let t12 = (t1 - t3) * 1.414213562 - t13;
    t0 = t10 + t13; t3 = t10 - t13; t1 = t11 + t12; t2 = t11 - t12;
    const z13 = ws[row + 5] + ws[row + 3], z10 = ws[row + 5] - ws[row + 3];
    const z11 = ws[row + 1] + ws[row + 7], z12 = ws[row + 1] - ws[row + 7];
    const t7 = z11 + z13;
    t11 = (z11 - z13) * 1.414213562;
    const z5 = (z10 + z12) * 1.847759065;
    t10 = z5 - z12 * 1.082392200;
    t12 = z5 - z10 * 2.613125930;
    const t6 = t12 - t7, t5 = t11 - t6, t4 = t10 - t5;
    out[o] = (t0 + t7) | 0; out[o + 7] = (t0 - t7) | 0;
    out[o + 1] = (t1 + t6) | 0; out[o + 6] = (t1 - t6) | 0;
    out[o + 2] = (t2 + t5) | 0; out[o + 5] = (t2 - t5) | 0;
    out[o + 3] = (t3 + t4) | 0; out[o + 4] = (t3 - t4) | 0;
  }
}

// The 4-point IDCT as a butterfly: x0..x3 = even +- odd, with C(u)/2 cos((2x+1) u pi / 8) folded into the constants.
const E = 0.5 * Math.SQRT1_2;
const O1 = 0.5 * Math.cos(Math.PI / 8);
const O3 = 0.5 * Math.cos((3 * Math.PI) / 8);

function idct4(c: Int16Array | Int32Array, off: number, q: Float32Array, out: Uint8ClampedArray, outOff: number, stride: number): void {
  const ws = work;
  for (let u = 0; u < 4; u++) {
    const i = off + u;
    const f0 = c[i] * q[u], f1 = c[i + 8] * q[8 + u], f2 = c[i + 16] * q[16 + u], f3 = c[i + 24] * q[24 + u];
    const t0 = E * (f0 + f2), t1 = E * (f0 - f2);
    const o0 = O1 * f1 + O3 * f3, o1 = O3 * f1 - O1 * f3;
    ws[u] = t0 + o0; ws[12 + u] = t0 - o0;
    ws[4 + u] = t1 + o1; ws[8 + u] = t1 - o1;
  }
  for (let y = 0; y < 16; y += 4) {
    const f0 = ws[y], f1 = ws[y + 1], f2 = ws[y + 2], f3 = ws[y + 3];
    const t0 = E * (f0 + f2) + 128, t1 = E * (f0 - f2) + 128;
    const o0 = O1 * f1 + O3 * f3, o1 = O3 * f1 - O1 * f3;
    const o = outOff + (y >> 2) * stride;
    out[o] = t0 + o0; out[o + 3] = t0 - o0;
    out[o + 1] = t1 + o1; out[o + 2] = t1 - o1;
  }
}

function idct2(c: Int16Array | Int32Array, off: number, q: Float32Array, out: Uint8ClampedArray, outOff: number, stride: number): void {
  const b = B2;
  const f00 = c[off] * q[0], f01 = c[off + 1] * q[1], f10 = c[off + 8] * q[8], f11 = c[off + 9] * q[9];
  // Vertical pass for the two horizontal frequencies, then horizontal.
  const a0 = b[0] * f00 + b[1] * f10, a1 = b[0] * f01 + b[1] * f11;
  const d0 = b[2] * f00 + b[3] * f10, d1 = b[2] * f01 + b[3] * f11;
  out[outOff] = b[0] * a0 + b[1] * a1 + 128;
  out[outOff + 1] = b[2] * a0 + b[3] * a1 + 128;
  out[outOff + stride] = b[0] * d0 + b[1] * d1 + 128;
  out[outOff + stride + 1] = b[2] * d0 + b[3] * d1 + 128;
}

// The 3-point IDCT: x0, x2 = a f0 + c f2 +- b f1, x1 = a f0 - 2c f2, from C(u)/2 cos((2x+1) u pi / 6).
const A3 = 0.5 * Math.SQRT1_2;
const B3 = 0.5 * Math.cos(Math.PI / 6);
const C3 = 0.25;

function idct3(c: Int16Array | Int32Array, off: number, q: Float32Array, out: Uint8ClampedArray, outOff: number, stride: number): void {
  const o1 = outOff + stride, o2 = o1 + stride;
  const a00 = c[off], a01 = c[off + 1], a02 = c[off + 2];
  const a10 = c[off + 8], a11 = c[off + 9], a12 = c[off + 10];
  const a20 = c[off + 16], a21 = c[off + 17], a22 = c[off + 18];
  if ((a01 | a02 | a10 | a11 | a12 | a20 | a21 | a22) === 0) {
    // Only the DC term: a flat block (common in smooth areas and chroma).
    const v = ((a00 * q[0]) / 8 + 128.5) | 0;
    out[outOff] = v; out[outOff + 1] = v; out[outOff + 2] = v;
    out[o1] = v; out[o1 + 1] = v; out[o1 + 2] = v;
    out[o2] = v; out[o2 + 1] = v; out[o2 + 2] = v;
    return;
  }
  // Columns (vertical frequencies 0..2 -> rows 0..2), all in locals.
  let f0 = A3 * a00 * q[0], f1 = B3 * a10 * q[8], f2 = C3 * a20 * q[16];
  let t = f0 + f2;
  const w00 = t + f1, w20 = t - f1, w10 = f0 - 2 * f2;
  f0 = A3 * a01 * q[1]; f1 = B3 * a11 * q[9]; f2 = C3 * a21 * q[17];
  t = f0 + f2;
  const w01 = t + f1, w21 = t - f1, w11 = f0 - 2 * f2;
  f0 = A3 * a02 * q[2]; f1 = B3 * a12 * q[10]; f2 = C3 * a22 * q[18];
  t = f0 + f2;
  const w02 = t + f1, w22 = t - f1, w12 = f0 - 2 * f2;
  // Rows; +128.5 and truncation round to nearest (negative values clamp to 0 either way), and integer
  // stores into the clamped array are cheaper than rounding doubles.
  f0 = A3 * w00 + 128.5; f1 = B3 * w01; f2 = C3 * w02; t = f0 + f2;
  out[outOff] = (t + f1) | 0; out[outOff + 2] = (t - f1) | 0; out[outOff + 1] = (f0 - 2 * f2) | 0;
  f0 = A3 * w10 + 128.5; f1 = B3 * w11; f2 = C3 * w12; t = f0 + f2;
  out[o1] = (t + f1) | 0; out[o1 + 2] = (t - f1) | 0; out[o1 + 1] = (f0 - 2 * f2) | 0;
  f0 = A3 * w20 + 128.5; f1 = B3 * w21; f2 = C3 * w22; t = f0 + f2;
  out[o2] = (t + f1) | 0; out[o2 + 2] = (t - f1) | 0; out[o2 + 1] = (f0 - 2 * f2) | 0;
}

/** Any size by the basis matrix: columns first (n x k intermediate), then rows. */
function idctN(c: Int16Array | Int32Array, off: number, q: Float32Array, out: Uint8ClampedArray, outOff: number, stride: number, n: number): void {
  const b = (bases[n] ??= reducedBasis8(n));
  const k = Math.min(n, 8);
  const ws = work;
  for (let u = 0; u < k; u++) {
    for (let y = 0; y < n; y++) {
      let sum = 0;
      for (let v = 0; v < k; v++) sum += b[y * 8 + v] * c[off + v * 8 + u] * q[v * 8 + u];
      ws[y * 8 + u] = sum;
    }
  }
  for (let y = 0; y < n; y++) {
    const o = outOff + y * stride;
    for (let x = 0; x < n; x++) {
      let sum = 128;
      for (let u = 0; u < k; u++) sum += b[x * 8 + u] * ws[y * 8 + u];
      out[o + x] = sum;
    }
  }
}

/** basis[x * 8 + u] = C(u)/2 * cos((2x+1) u pi / 2n) for u < min(n, 8). */
function reducedBasis8(n: number): Float64Array {
  const m = new Float64Array(n * 8);
  for (let x = 0; x < n; x++) {
    for (let u = 0; u < Math.min(n, 8); u++) {
      m[x * 8 + u] = (u === 0 ? Math.SQRT1_2 : 1) * 0.5 * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * n));
    }
  }
  return m;
}
