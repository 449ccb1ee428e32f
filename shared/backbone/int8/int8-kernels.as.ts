// AssemblyScript source of int8-kernels.wasm (`npm run build:int8-kernels`). The integer engine of quantised
// backbones (shared/backbone/int8/): the caller (int8-engine.ts) owns the memory layout, every pointer is a byte
// offset into this module's memory, and nothing here allocates.
//
// Activations are stored as int16 holding q - zeroPoint (-255..255 for uint8 and int8 tensors alike), so no
// kernel deals with zero points: the padding of a convolution is 0, as TFLite pads with the zero point. Weights
// are stored the same way (w - weightZeroPoint). Every output is requantised as XNNPACK's "fp32" scheme does
// (TFLite's default int8 CPU path): acc (int32, bias included) to float, times inScale * weightScale / outScale
// (per output channel), rounded to nearest even, clamped to the fused activation's range in q - zeroPoint units.
// Requires 128-bit SIMD (no relaxed SIMD).

// Rounding to nearest even without f32x4.nearest + i32x4.trunc_sat_f32x4_s (the latter is many instructions on
// x86): adding 1.5 * 2^23 leaves round(x) in the low mantissa bits, exact for |x| < 2^22, which the clamp (pmin
// and pmax are single instructions, unlike min and max) guarantees first. lo and hi are integers, so clamping
// before rounding gives what rounding then clamping gives.
const MAGIC: f32 = 12582912.0;
const MAGIC_BITS: i32 = 0x4b400000;

@inline function roundClamped(x: v128, lo: v128, hi: v128): v128 {
  const clamped = f32x4.pmin(f32x4.pmax(x, lo), hi);
  return i32x4.sub(f32x4.add(clamped, f32x4.splat(MAGIC)), i32x4.splat(MAGIC_BITS));
}

// lo and hi as float32 lanes.
@inline function requant(acc: v128, scale: v128, lo: v128, hi: v128): v128 {
  return roundClamped(f32x4.mul(f32x4.convert_i32x4_s(acc), scale), lo, hi);
}

@inline function store8(out: usize, c0: v128, c1: v128, scale: usize, lo: v128, hi: v128): void {
  v128.store(out, i16x8.narrow_i32x4_s(requant(c0, v128.load(scale), lo, hi), requant(c1, v128.load(scale, 16), lo, hi)));
}

// out[r][n] = requant(bias[n] + sum_k a[r][k] * w[k][n]) for r < rows, n < 8 * blocks.
// a: int16 rows `aStride` bytes apart, 2 * k2 values read from each (4-byte aligned).
// w: per block of 8 output channels, k2 pairs of two v128: pair p holds, for channels n0..n3 then n4..n7,
//    [w(2p, n), w(2p + 1, n)] as int16, so i32x4.dot_i16x8_s of a splatted input pair gives four channels' sums.
// bias: int32 and scale: f32 per output channel; out: int16 rows `outStride` bytes apart.
export function gemm(a: usize, aStride: i32, rows: i32, k2: i32, w: usize, bias: usize, scale: usize, blocks: i32, out: usize, outStride: i32, lo: i32, hi: i32): void {
  const vlo = f32x4.splat(<f32>lo);
  const vhi = f32x4.splat(<f32>hi);
  const wBlock = <usize>k2 << 5;
  for (let r: i32 = 0; r < rows; r += 4) {
    const a0 = a + <usize>r * <usize>aStride;
    const a1 = r + 1 < rows ? a0 + <usize>aStride : a0;
    const a2 = r + 2 < rows ? a0 + 2 * <usize>aStride : a0;
    const a3 = r + 3 < rows ? a0 + 3 * <usize>aStride : a0;
    const o0 = out + <usize>r * <usize>outStride;
    for (let b: i32 = 0; b < blocks; b++) {
      let wp = w + <usize>b * wBlock;
      const bb = bias + (<usize>b << 5);
      const bl = v128.load(bb);
      const bh = v128.load(bb, 16);
      let c00 = bl, c01 = bh, c10 = bl, c11 = bh, c20 = bl, c21 = bh, c30 = bl, c31 = bh;
      for (let p: usize = 0, end = <usize>k2 << 2; p < end; p += 4) {
        const w0 = v128.load(wp);
        const w1 = v128.load(wp, 16);
        wp += 32;
        const x0 = v128.load32_splat(a0 + p);
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, w0));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, w1));
        const x1 = v128.load32_splat(a1 + p);
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, w0));
        c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, w1));
        const x2 = v128.load32_splat(a2 + p);
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x2, w0));
        c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x2, w1));
        const x3 = v128.load32_splat(a3 + p);
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x3, w0));
        c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x3, w1));
      }
      const s = scale + (<usize>b << 5);
      const o = o0 + (<usize>b << 4);
      store8(o, c00, c01, s, vlo, vhi);
      if (r + 1 < rows) store8(o + <usize>outStride, c10, c11, s, vlo, vhi);
      if (r + 2 < rows) store8(o + 2 * <usize>outStride, c20, c21, s, vlo, vhi);
      if (r + 3 < rows) store8(o + 3 * <usize>outStride, c30, c31, s, vlo, vhi);
    }
  }
}

@inline function tap(acc: v128, x: usize, w: usize): v128 {
  const xv = v128.load(x);
  const wv = v128.load(w);
  return i32x4.add(acc, i32x4.extmul_low_i16x8_s(xv, wv));
}

@inline function tapHigh(acc: v128, x: usize, w: usize): v128 {
  return i32x4.add(acc, i32x4.extmul_high_i16x8_s(v128.load(x), v128.load(w)));
}

// Two taps of 8 channels: the inputs interleaved (punpcklwd / punpckhwd) so that one i32x4.dot_i16x8_s per four
// channels multiplies and adds both taps, against weights packed the same way (w: channels 0-3, then 4-7).
@inline function tapPair(acc: v128, xa: usize, xb: usize, w: usize): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.shuffle(v128.load(xa), v128.load(xb), 0, 8, 1, 9, 2, 10, 3, 11), v128.load(w)));
}

@inline function tapPairHigh(acc: v128, xa: usize, xb: usize, w: usize): v128 {
  return i32x4.add(acc, i32x4.dot_i16x8_s(i16x8.shuffle(v128.load(xa), v128.load(xb), 4, 12, 5, 13, 6, 14, 7, 15), v128.load(w)));
}

// One output pixel of a 3x3 window wholly inside the map: `base` is its top-left input pixel. wp: per block of 8
// channels, taps (0, 1), (2, 3), (4, 5), (6, 7) as pairs (two v128 each), then tap 8 plain: 144 bytes.
function dw3x3(base: usize, row: usize, pix: usize, wp: usize, bias: usize, scale: usize, o: usize, vlo: v128, vhi: v128): void {
  const r1 = base + row;
  const r2 = r1 + row;
  const p2 = pix << 1;
  let w = wp;
  for (let cb: usize = 0; cb < pix; cb += 16) {
    const x0 = base + cb;
    const x3 = r1 + cb;
    const x6 = r2 + cb;
    let a = tapPair(v128.load(bias + (cb << 1)), x0, x0 + pix, w);
    let b = tapPairHigh(v128.load(bias + (cb << 1), 16), x0, x0 + pix, w + 16);
    a = tapPair(a, x0 + p2, x3, w + 32);
    b = tapPairHigh(b, x0 + p2, x3, w + 48);
    a = tapPair(a, x3 + pix, x3 + p2, w + 64);
    b = tapPairHigh(b, x3 + pix, x3 + p2, w + 80);
    a = tapPair(a, x6, x6 + pix, w + 96);
    b = tapPairHigh(b, x6, x6 + pix, w + 112);
    a = tap(a, x6 + p2, w + 128);
    b = tapHigh(b, x6 + p2, w + 128);
    store8(o + cb, a, b, scale + (cb << 1), vlo, vhi);
    w += 144;
  }
}

// One output pixel of any window, taps outside the map skipped (they read the zero point, 0 here).
function dwEdge(x: usize, h: i32, wd: i32, kh: i32, kw: i32, iy0: i32, ix0: i32, row: usize, pix: usize, wt: usize, bias: usize, scale: usize, o: usize, vlo: v128, vhi: v128): void {
  const ky0 = max(0, -iy0);
  const ky1 = min(kh, h - iy0);
  const kx0 = max(0, -ix0);
  const kx1 = min(kw, wd - ix0);
  const base = x + <usize>(iy0 * wd + ix0) * pix;
  for (let cb: usize = 0; cb < pix; cb += 16) {
    let acc0 = v128.load(bias + (cb << 1));
    let acc1 = v128.load(bias + (cb << 1), 16);
    for (let ky = ky0; ky < ky1; ky++) {
      const xr = base + <usize>ky * row + cb;
      const wr = wt + <usize>(ky * kw) * pix + cb;
      for (let kx = kx0; kx < kx1; kx++) {
        acc0 = tap(acc0, xr + <usize>kx * pix, wr + <usize>kx * pix);
        acc1 = tapHigh(acc1, xr + <usize>kx * pix, wr + <usize>kx * pix);
      }
    }
    store8(o + cb, acc0, acc1, scale + (cb << 1), vlo, vhi);
  }
}

// Depthwise convolution (depth multiplier 1, no dilation) over an int16 HWC map of `c` channels (c % 8 == 0).
// wt: int16 [kh * kw][c]; wp: the same weights packed for dw3x3 (3x3 windows only); bias int32 [c]; scale f32 [c];
// out: int16 [oh][ow][c].
export function dwconv(
  x: usize, h: i32, wd: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32, padL: i32, oh: i32, ow: i32,
  wt: usize, wp: usize, bias: usize, scale: usize, out: usize, lo: i32, hi: i32,
): void {
  const vlo = f32x4.splat(<f32>lo);
  const vhi = f32x4.splat(<f32>hi);
  const pix = <usize>c << 1;
  const row = <usize>wd * pix;
  const three = kh == 3 && kw == 3;
  let o = out;
  for (let oy: i32 = 0; oy < oh; oy++) {
    const iy0 = oy * sh - padT;
    const rowInside = three && iy0 >= 0 && iy0 + 3 <= h;
    for (let ox: i32 = 0; ox < ow; ox++) {
      const ix0 = ox * sw - padL;
      if (rowInside && ix0 >= 0 && ix0 + 3 <= wd) dw3x3(x + <usize>(iy0 * wd + ix0) * pix, row, pix, wp, bias, scale, o, vlo, vhi);
      else dwEdge(x, h, wd, kh, kw, iy0, ix0, row, pix, wt, bias, scale, o, vlo, vhi);
      o += pix;
    }
  }
}

// The rows a general convolution multiplies by its filter: per output pixel, kh * kw * c int16 values in
// (ky, kx, channel) order, 0 where the window leaves the map, zero padded to kpad values. A tap inside the map is
// copied 4 values at a time (one 64-bit load and store), so up to 3 values past its c are written and then
// overwritten by the next tap or the zero padding: `out` rows need 3 values of slack at the end of the last row.
export function im2col(x: usize, h: i32, wd: i32, c: i32, kh: i32, kw: i32, sh: i32, sw: i32, padT: i32, padL: i32, oh: i32, ow: i32, out: usize, kpad: i32): void {
  const tapBytes = <usize>c << 1;
  let o = out;
  for (let oy: i32 = 0; oy < oh; oy++) {
    for (let ox: i32 = 0; ox < ow; ox++) {
      let k: usize = o;
      for (let ky: i32 = 0; ky < kh; ky++) {
        const iy = oy * sh - padT + ky;
        for (let kx: i32 = 0; kx < kw; kx++) {
          const ix = ox * sw - padL + kx;
          if (iy >= 0 && iy < h && ix >= 0 && ix < wd) {
            const from = x + (<usize>((iy * wd + ix) * c) << 1);
            for (let j: usize = 0; j < tapBytes; j += 8) store<u64>(k + j, load<u64>(from + j));
          } else {
            for (let j: usize = 0; j < tapBytes; j += 8) store<u64>(k + j, 0);
          }
          k += tapBytes;
        }
      }
      for (const end = o + (<usize>kpad << 1); k < end; k += 2) store<i16>(k, 0);
      o += <usize>kpad << 1;
    }
  }
}

// out = clamp(round(a * sa + b * sb)) element-wise over n int16 values (n % 8 == 0): TFLite's ADD of two
// quantised tensors, with sa = aScale / outScale and sb = bScale / outScale.
export function add(a: usize, b: usize, n: i32, sa: f32, sb: f32, lo: i32, hi: i32, out: usize): void {
  const va = f32x4.splat(sa);
  const vb = f32x4.splat(sb);
  const vlo = f32x4.splat(<f32>lo);
  const vhi = f32x4.splat(<f32>hi);
  for (let i: usize = 0, end = <usize>n << 1; i < end; i += 16) {
    const x = v128.load(a + i);
    const y = v128.load(b + i);
    const l = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(x)), va), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(y)), vb));
    const u = f32x4.add(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(x)), va), f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(y)), vb));
    v128.store(out + i, i16x8.narrow_i32x4_s(roundClamped(l, vlo, vhi), roundClamped(u, vlo, vhi)));
  }
}

// x rounded half away from zero (std::round, what TFLite's QUANTIZE does), clamped to [lo, hi], as int32 lanes.
@inline function roundAway(x: v128, lo: v128, hi: v128): v128 {
  const clamped = f32x4.pmin(f32x4.pmax(x, lo), hi);
  const half = v128.or(v128.and(clamped, i32x4.splat(0x80000000)), f32x4.splat(0.5));
  return roundClamped(f32x4.trunc(f32x4.add(clamped, half)), lo, hi);
}

// The model input: n float32 real values to int16 q - zeroPoint = clamp(round(x * inverseScale)), rounding half
// away from zero as TFLite's QUANTIZE does (a resized pixel often lands on exactly .5).
export function quantize(x: usize, n: i32, inverseScale: f32, lo: i32, hi: i32, out: usize): void {
  const vs = f32x4.splat(inverseScale);
  const vlo = f32x4.splat(<f32>lo);
  const vhi = f32x4.splat(<f32>hi);
  let i: i32 = 0;
  for (; i + 8 <= n; i += 8) {
    const l = roundAway(f32x4.mul(v128.load(x + (<usize>i << 2)), vs), vlo, vhi);
    const u = roundAway(f32x4.mul(v128.load(x + (<usize>i << 2), 16), vs), vlo, vhi);
    v128.store(out + (<usize>i << 1), i16x8.narrow_i32x4_s(l, u));
  }
  for (; i < n; i++) {
    const v = min(max(load<f32>(x + (<usize>i << 2)) * inverseScale, <f32>lo), <f32>hi);
    store<i16>(out + (<usize>i << 1), <i16><i32>(v < 0 ? -floor(-v + 0.5) : floor(v + 0.5)));
  }
}

// The embedding: the mean over `pixels` positions of each of c channels (c % 8 == 0), times `scale`, as float32.
export function meanPool(x: usize, pixels: i32, c: i32, scale: f32, out: usize): void {
  const vs = f32x4.splat(scale / <f32>pixels);
  const pix = <usize>c << 1;
  for (let cb: usize = 0; cb < pix; cb += 16) {
    let s0 = i32x4.splat(0);
    let s1 = i32x4.splat(0);
    for (let p: i32 = 0; p < pixels; p++) {
      const v = v128.load(x + <usize>p * pix + cb);
      s0 = i32x4.add(s0, i32x4.extend_low_i16x8_s(v));
      s1 = i32x4.add(s1, i32x4.extend_high_i16x8_s(v));
    }
    v128.store(out + (cb << 1), f32x4.mul(f32x4.convert_i32x4_s(s0), vs));
    v128.store(out + (cb << 1), f32x4.mul(f32x4.convert_i32x4_s(s1), vs), 16);
  }
}
