// AssemblyScript source of image-kernels.wasm (`npm run build:kernels`; a unit test checks that the committed
// binary is this file built). The caller (shared/image/image-kernels.ts) owns the memory layout:
// every pointer is a byte offset into this module's memory, and nothing here allocates. Two kernels: the resize
// below, and the inverse DCTs of JPEG scans further down.
//
// planesToInput computes what planesToModelInput in shared/image/preprocess.ts computes, in float32 with
// 128-bit SIMD over each source row: per output row b, every plane's needed source rows are combined by the
// vertical weights into one float row, that row is reduced by the horizontal weights to the output columns,
// and the columns of the (up to) three planes are colour-converted and normalised into the HWC output.
//
// A plane is described by 12 int32 at desc + 48 * plane:
//   0 data (u8 samples), 1 stride, 2 x0 (first column any output reads), 3 span (columns read),
//   4 wyStart (int32 per output row), 5 wyCount (int32 per output row), 6 wyWeights (f32, wyTaps per row),
//   7 wyTaps, 8 wxStart (int32 per output column, relative to x0), 9 wxWeights (f32, wxTaps per column),
//   10 wxTaps, 11 row (f32 scratch of span + wxTaps + 4, the part past span only ever met by zero weights)
// The data must be readable 4 bytes past each row's span (the caller pads the copy).

@inline function fourSamples(p: usize): v128 {
  return f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(p))));
}

function combineRows(s0: usize, stride: usize, weights: usize, n: i32, row: usize, span: i32): void {
  const w0 = f32x4.splat(load<f32>(weights));
  if (n == 1) {
    for (let j: i32 = 0; j < span; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(w0, fourSamples(s0 + j)));
    return;
  }
  const w1 = f32x4.splat(load<f32>(weights, 4));
  const s1 = s0 + stride;
  if (n == 2) {
    for (let j: i32 = 0; j < span; j += 4) {
      v128.store(row + (<usize>j << 2), f32x4.add(f32x4.mul(w0, fourSamples(s0 + j)), f32x4.mul(w1, fourSamples(s1 + j))));
    }
    return;
  }
  const w2 = f32x4.splat(load<f32>(weights, 8));
  const s2 = s1 + stride;
  for (let j: i32 = 0; j < span; j += 4) {
    const sum = f32x4.add(f32x4.mul(w0, fourSamples(s0 + j)), f32x4.mul(w1, fourSamples(s1 + j)));
    v128.store(row + (<usize>j << 2), f32x4.add(sum, f32x4.mul(w2, fourSamples(s2 + j))));
  }
  for (let k: i32 = 3; k < n; k++) {
    const wk = f32x4.splat(load<f32>(weights + (<usize>k << 2)));
    const sk = s0 + <usize>k * stride;
    for (let j: i32 = 0; j < span; j += 4) {
      const r = row + (<usize>j << 2);
      v128.store(r, f32x4.add(v128.load(r), f32x4.mul(wk, fourSamples(sk + j))));
    }
  }
}

function reduceColumns(row: usize, starts: usize, weights: usize, taps: i32, columns: i32, out: usize): void {
  for (let a: i32 = 0; a < columns; a++) {
    const r = row + (<usize>load<i32>(starts + (<usize>a << 2)) << 2);
    const w = weights + (<usize>(a * taps) << 2);
    let sum = load<f32>(w) * load<f32>(r);
    for (let k: i32 = 1; k < taps; k++) sum += load<f32>(w + (<usize>k << 2)) * load<f32>(r + (<usize>k << 2));
    store<f32>(out + (<usize>a << 2), sum);
  }
}

/**
 * Fills `out` (float32) with `rows` x `columns` pixels of 3 values: output row b, column a at
 * out + 4 * (b * stepRow + a * stepColumn), as (value - zero) * scale of R, G and B. `ycc` when the planes are
 * JFIF YCbCr (converted and clipped to 0..255 first); otherwise one plane is grey and three are R, G, B.
 */
export function planesToInput(
  planeCount: i32, desc: usize, columnsScratch: usize, columns: i32, rows: i32, out: usize,
  stepColumn: i32, stepRow: i32, ycc: bool, scale: f32, zero: f32,
): void {
  const c0 = columnsScratch;
  // One plane (grey) serves as R, G and B.
  const c1: usize = planeCount == 3 ? columnsScratch + (<usize>columns << 2) : columnsScratch;
  const c2: usize = planeCount == 3 ? columnsScratch + (<usize>columns << 3) : columnsScratch;
  for (let b: i32 = 0; b < rows; b++) {
    for (let p: i32 = 0; p < planeCount; p++) {
      const d = desc + <usize>(p * 48);
      const stride = <usize>load<i32>(d, 4);
      const first = load<i32>(<usize>load<i32>(d, 16) + (<usize>b << 2));
      const s0 = <usize>load<i32>(d) + <usize>first * stride + <usize>load<i32>(d, 8);
      const taps = load<i32>(d, 28);
      const weights = <usize>load<i32>(d, 24) + (<usize>(b * taps) << 2);
      const row = <usize>load<i32>(d, 44);
      combineRows(s0, stride, weights, load<i32>(<usize>load<i32>(d, 20) + (<usize>b << 2)), row, load<i32>(d, 12));
      reduceColumns(row, <usize>load<i32>(d, 32), <usize>load<i32>(d, 36), load<i32>(d, 40), columns, c0 + (<usize>(p * columns) << 2));
    }
    let o = out + (<usize>(b * stepRow) << 2);
    const step = <usize>stepColumn << 2;
    if (ycc) {
      for (let a: i32 = 0; a < columns; a++, o += step) {
        const i = <usize>a << 2;
        const l = load<f32>(c0 + i), cb = load<f32>(c1 + i) - 128, cr = load<f32>(c2 + i) - 128;
        const r = l + <f32>1.402 * cr;
        const g = l - <f32>0.344136286 * cb - <f32>0.714136286 * cr;
        const bl = l + <f32>1.772 * cb;
        store<f32>(o, (min<f32>(max<f32>(r, 0), 255) - zero) * scale);
        store<f32>(o, (min<f32>(max<f32>(g, 0), 255) - zero) * scale, 4);
        store<f32>(o, (min<f32>(max<f32>(bl, 0), 255) - zero) * scale, 8);
      }
    } else {
      for (let a: i32 = 0; a < columns; a++, o += step) {
        const i = <usize>a << 2;
        store<f32>(o, (load<f32>(c0 + i) - zero) * scale);
        store<f32>(o, (load<f32>(c1 + i) - zero) * scale, 4);
        store<f32>(o, (load<f32>(c2 + i) - zero) * scale, 8);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Inverse DCTs of a sequential JPEG scan, one MCU row at a time, bit for bit the float64 arithmetic of
// shared/image/jpeg/idct.ts (same operations in the same order; wasm never fuses them), so a photo decodes to
// the same bytes with or without the kernel. The Huffman decoder below fills `coefs` with a row's blocks
// (64 int32 per block, natural order, coding order of the blocks).
//
// A component is 8 int32 at its descriptor: 0 IDCT size (1, 2, 3, 4 or 8), 1 quantisation table (64 f32, as
// prepareQuantTable makes it), 2 its plane (u8), 3 the plane's stride, 4 blocks per MCU across (1 in a
// single-component scan), 5 pixel rows per MCU row. A slot (one block of an MCU) starts with 3 int32:
// component descriptor, dy, dx.
// `constants` holds the f64 constants JavaScript computed with its own Math.cos:
//   0 E, 1 O1, 2 O3 (4-point), 3 A3, 4 B3, 5 C3 (3-point), 6..9 the 2-point basis.
// Every coefficient a block's transform reads is cleared after it, ready for the next row.

@inline function storeRounded(p: usize, x: f64): void {
  // Uint8ClampedArray's conversion: NaN and below 0 give 0, above 255 gives 255, ties round to even.
  store<u8>(p, <u8>(x > 0 ? (x < 255 ? <i32>nearest<f64>(x) : 255) : 0));
}

@inline function storeTruncated(p: usize, x: f64): void {
  // `x | 0` stored into a Uint8ClampedArray: truncation toward zero (values here are far inside int32), then the clamp.
  const v = <i32>(x);
  store<u8>(p, <u8>(v < 0 ? 0 : v > 255 ? 255 : v));
}

@inline function coef(c: usize, i: i32): f64 {
  return <f64>load<i32>(c + (<usize>i << 2));
}

@inline function quant(q: usize, i: i32): f64 {
  return <f64>load<f32>(q + (<usize>i << 2));
}

function idct1(c: usize, q: usize, out: usize): void {
  storeRounded(out, (coef(c, 0) * quant(q, 0)) / 8 + 128);
  store<i32>(c, 0);
}

function idct2(c: usize, q: usize, out: usize, stride: usize, k: usize): void {
  const b0 = load<f64>(k, 48), b1 = load<f64>(k, 56), b2 = load<f64>(k, 64), b3 = load<f64>(k, 72);
  const f00 = coef(c, 0) * quant(q, 0), f01 = coef(c, 1) * quant(q, 1), f10 = coef(c, 8) * quant(q, 8), f11 = coef(c, 9) * quant(q, 9);
  const a0 = b0 * f00 + b1 * f10, a1 = b0 * f01 + b1 * f11;
  const d0 = b2 * f00 + b3 * f10, d1 = b2 * f01 + b3 * f11;
  storeRounded(out, b0 * a0 + b1 * a1 + 128);
  storeRounded(out + 1, b2 * a0 + b3 * a1 + 128);
  storeRounded(out + stride, b0 * d0 + b1 * d1 + 128);
  storeRounded(out + stride + 1, b2 * d0 + b3 * d1 + 128);
  store<i64>(c, 0);
  store<i64>(c, 0, 32);
}

function idct3(c: usize, q: usize, out: usize, stride: usize, k: usize): void {
  const A3 = load<f64>(k, 24), B3 = load<f64>(k, 32), C3 = load<f64>(k, 40);
  const o1 = out + stride, o2 = o1 + stride;
  const i00 = load<i32>(c), i01 = load<i32>(c, 4), i02 = load<i32>(c, 8);
  const i10 = load<i32>(c, 32), i11 = load<i32>(c, 36), i12 = load<i32>(c, 40);
  const i20 = load<i32>(c, 64), i21 = load<i32>(c, 68), i22 = load<i32>(c, 72);
  store<i64>(c, 0); store<i32>(c, 0, 8);
  store<i64>(c, 0, 32); store<i32>(c, 0, 40);
  store<i64>(c, 0, 64); store<i32>(c, 0, 72);
  if ((i01 | i02 | i10 | i11 | i12 | i20 | i21 | i22) == 0) {
    const v = <i32>((<f64>i00 * quant(q, 0)) / 8 + 128.5);
    const b = <u8>(v < 0 ? 0 : v > 255 ? 255 : v);
    store<u8>(out, b); store<u8>(out, b, 1); store<u8>(out, b, 2);
    store<u8>(o1, b); store<u8>(o1, b, 1); store<u8>(o1, b, 2);
    store<u8>(o2, b); store<u8>(o2, b, 1); store<u8>(o2, b, 2);
    return;
  }
  const a00 = <f64>i00, a01 = <f64>i01, a02 = <f64>i02;
  const a10 = <f64>i10, a11 = <f64>i11, a12 = <f64>i12;
  const a20 = <f64>i20, a21 = <f64>i21, a22 = <f64>i22;
  let f0 = A3 * a00 * quant(q, 0), f1 = B3 * a10 * quant(q, 8), f2 = C3 * a20 * quant(q, 16);
  let t = f0 + f2;
  const w00 = t + f1, w20 = t - f1, w10 = f0 - 2 * f2;
  f0 = A3 * a01 * quant(q, 1); f1 = B3 * a11 * quant(q, 9); f2 = C3 * a21 * quant(q, 17);
  t = f0 + f2;
  const w01 = t + f1, w21 = t - f1, w11 = f0 - 2 * f2;
  f0 = A3 * a02 * quant(q, 2); f1 = B3 * a12 * quant(q, 10); f2 = C3 * a22 * quant(q, 18);
  t = f0 + f2;
  const w02 = t + f1, w22 = t - f1, w12 = f0 - 2 * f2;
  f0 = A3 * w00 + 128.5; f1 = B3 * w01; f2 = C3 * w02; t = f0 + f2;
  storeTruncated(out, t + f1); storeTruncated(out + 2, t - f1); storeTruncated(out + 1, f0 - 2 * f2);
  f0 = A3 * w10 + 128.5; f1 = B3 * w11; f2 = C3 * w12; t = f0 + f2;
  storeTruncated(o1, t + f1); storeTruncated(o1 + 2, t - f1); storeTruncated(o1 + 1, f0 - 2 * f2);
  f0 = A3 * w20 + 128.5; f1 = B3 * w21; f2 = C3 * w22; t = f0 + f2;
  storeTruncated(o2, t + f1); storeTruncated(o2 + 2, t - f1); storeTruncated(o2 + 1, f0 - 2 * f2);
}

function idct4(c: usize, q: usize, out: usize, stride: usize, k: usize, ws: usize): void {
  const E = load<f64>(k), O1 = load<f64>(k, 8), O3 = load<f64>(k, 16);
  for (let u: i32 = 0; u < 4; u++) {
    const f0 = coef(c, u) * quant(q, u), f1 = coef(c, u + 8) * quant(q, 8 + u), f2 = coef(c, u + 16) * quant(q, 16 + u), f3 = coef(c, u + 24) * quant(q, 24 + u);
    const t0 = E * (f0 + f2), t1 = E * (f0 - f2);
    const o0 = O1 * f1 + O3 * f3, o1 = O3 * f1 - O1 * f3;
    const w = ws + (<usize>u << 3);
    store<f64>(w, t0 + o0); store<f64>(w, t0 - o0, 96);
    store<f64>(w, t1 + o1, 32); store<f64>(w, t1 - o1, 64);
  }
  for (let r: usize = 0; r < 32; r += 8) store<i64>(c + (r << 2), 0), store<i64>(c + (r << 2), 0, 8);
  for (let y: usize = 0; y < 4; y++) {
    const w = ws + (y << 5);
    const f0 = load<f64>(w), f1 = load<f64>(w, 8), f2 = load<f64>(w, 16), f3 = load<f64>(w, 24);
    const t0 = E * (f0 + f2) + 128, t1 = E * (f0 - f2) + 128;
    const o0 = O1 * f1 + O3 * f3, o1 = O3 * f1 - O1 * f3;
    const o = out + y * stride;
    storeRounded(o, t0 + o0); storeRounded(o + 3, t0 - o0);
    storeRounded(o + 1, t1 + o1); storeRounded(o + 2, t1 - o1);
  }
}

function idct8(c: usize, q: usize, out: usize, stride: usize, ws: usize): void {
  for (let col: i32 = 0; col < 8; col++) {
    const w = ws + (<usize>col << 3);
    if (load<i32>(c + (<usize>(col + 8) << 2)) == 0 && load<i32>(c + (<usize>(col + 16) << 2)) == 0 && load<i32>(c + (<usize>(col + 24) << 2)) == 0 &&
        load<i32>(c + (<usize>(col + 32) << 2)) == 0 && load<i32>(c + (<usize>(col + 40) << 2)) == 0 && load<i32>(c + (<usize>(col + 48) << 2)) == 0 &&
        load<i32>(c + (<usize>(col + 56) << 2)) == 0) {
      const dc = coef(c, col) * quant(q, col);
      store<f64>(w, dc); store<f64>(w, dc, 64); store<f64>(w, dc, 128); store<f64>(w, dc, 192);
      store<f64>(w, dc, 256); store<f64>(w, dc, 320); store<f64>(w, dc, 384); store<f64>(w, dc, 448);
      continue;
    }
    let t0 = coef(c, col) * quant(q, col);
    let t1 = coef(c, col + 16) * quant(q, col + 16);
    let t2 = coef(c, col + 32) * quant(q, col + 32);
    let t3 = coef(c, col + 48) * quant(q, col + 48);
    let t10 = t0 + t2;
    let t11 = t0 - t2;
    let t13 = t1 + t3;
    let t12 = (t1 - t3) * 1.414213562 - t13;
    t0 = t10 + t13; t3 = t10 - t13; t1 = t11 + t12; t2 = t11 - t12;
    let t4 = coef(c, col + 8) * quant(q, col + 8);
    let t5 = coef(c, col + 24) * quant(q, col + 24);
    let t6 = coef(c, col + 40) * quant(q, col + 40);
    let t7 = coef(c, col + 56) * quant(q, col + 56);
    const z13 = t6 + t5, z10 = t6 - t5, z11 = t4 + t7, z12 = t4 - t7;
    t7 = z11 + z13;
    t11 = (z11 - z13) * 1.414213562;
    const z5 = (z10 + z12) * 1.847759065;
    t10 = z5 - z12 * 1.082392200;
    t12 = z5 - z10 * 2.613125930;
    t6 = t12 - t7; t5 = t11 - t6; t4 = t10 - t5;
    store<f64>(w, t0 + t7); store<f64>(w, t0 - t7, 448);
    store<f64>(w, t1 + t6, 64); store<f64>(w, t1 - t6, 384);
    store<f64>(w, t2 + t5, 128); store<f64>(w, t2 - t5, 320);
    store<f64>(w, t3 + t4, 192); store<f64>(w, t3 - t4, 256);
  }
  memory.fill(c, 0, 256);
  for (let row: usize = 0; row < 8; row++) {
    const w = ws + (row << 6);
    const o = out + row * stride;
    let t0 = load<f64>(w) + 128.5;
    let t2 = load<f64>(w, 32);
    let t10 = t0 + t2;
    let t11 = t0 - t2;
    let t1 = load<f64>(w, 16), t3 = load<f64>(w, 48);
    let t13 = t1 + t3;
    let t12 = (t1 - t3) * 1.414213562 - t13;
    t0 = t10 + t13; t3 = t10 - t13; t1 = t11 + t12; t2 = t11 - t12;
    const z13 = load<f64>(w, 40) + load<f64>(w, 24), z10 = load<f64>(w, 40) - load<f64>(w, 24);
    const z11 = load<f64>(w, 8) + load<f64>(w, 56), z12 = load<f64>(w, 8) - load<f64>(w, 56);
    const t7 = z11 + z13;
    t11 = (z11 - z13) * 1.414213562;
    const z5 = (z10 + z12) * 1.847759065;
    t10 = z5 - z12 * 1.082392200;
    t12 = z5 - z10 * 2.613125930;
    const t6 = t12 - t7, t5 = t11 - t6, t4 = t10 - t5;
    storeTruncated(o, t0 + t7); storeTruncated(o + 7, t0 - t7);
    storeTruncated(o + 1, t1 + t6); storeTruncated(o + 6, t1 - t6);
    storeTruncated(o + 2, t2 + t5); storeTruncated(o + 5, t2 - t5);
    storeTruncated(o + 3, t3 + t4); storeTruncated(o + 4, t3 - t4);
  }
}

/**
 * Transforms the blocks of `mcuCount` MCUs (see above) into MCU row `mrow` of each component's pixels (the
 * descriptor's int32 5 is its pixel rows per MCU row); slots are `slotBytes` apart.
 */
function transformRows(coefs: usize, mcuCount: i32, slots: usize, slotCount: i32, constants: usize, scratch: usize, mrow: i32, slotBytes: usize): void {
  let c = coefs;
  for (let mcu: i32 = 0; mcu < mcuCount; mcu++) {
    for (let s: i32 = 0; s < slotCount; s++, c += 256) {
      const slot = slots + <usize>s * slotBytes;
      const comp = <usize>load<i32>(slot);
      const size = load<i32>(comp);
      const q = <usize>load<i32>(comp, 4);
      const stride = <usize>load<i32>(comp, 12);
      const across = load<i32>(comp, 16);
      const rows = <usize>(mrow * load<i32>(comp, 20) + load<i32>(slot, 4) * size);
      const out = <usize>load<i32>(comp, 8) + rows * stride + <usize>((mcu * across + load<i32>(slot, 8)) * size);
      if (size == 3) idct3(c, q, out, stride, constants);
      else if (size == 4) idct4(c, q, out, stride, constants, scratch);
      else if (size == 8) idct8(c, q, out, stride, scratch);
      else if (size == 2) idct2(c, q, out, stride, constants);
      else idct1(c, q, out);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// The Huffman decoding of a whole sequential scan, feeding the inverse DCTs above: the same reads as
// decodeBlock in shared/image/jpeg/sequential-scan.ts (one big-endian 32-bit window per symbol from the scan
// copied without byte stuffing, acFast for most coefficients, acPair for a second one), with the tables as
// huffman.ts builds them, copied in by the caller. A table is TABLE_BYTES at its pointer: lookup (u16, 1024),
// acFast (i32, 1024), acPair (i32, 4096), maxCode (i32, 18), valueOffset (i32, 18), values (u8, 256).

const LOOKAHEAD: u32 = 10;
const SHIFT: u32 = 32 - LOOKAHEAD;
const PAIR_SHIFT: u32 = 32 - 12;
const T_FAST: usize = 2048;
const T_PAIR: usize = T_FAST + 4096;
const T_MAXCODE: usize = T_PAIR + 16384;
const T_VALOFF: usize = T_MAXCODE + 72;
const T_VALUES: usize = T_VALOFF + 72;

// The scan's bytes are stored in reverse order, ending at `data` + 3: a little-endian load then reads four bytes
// in the order the bits run (wasm has no byte swap; emulating one cost ~10% of the decode).
@inline function bitWindow(data: usize, bp: u32): u32 {
  return load<u32>(data - <usize>(bp >>> 3)) << (bp & 7);
}

/** Copies `n` bytes from `src` reversed so that the last lands at `dst` and the first at `dst + n - 1`. */
export function reverseBytes(src: usize, dst: usize, n: i32): void {
  const reverse = i8x16(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  let i: i32 = 0;
  for (; i + 16 <= n; i += 16) v128.store(dst + <usize>(n - 16 - i), i8x16.swizzle(v128.load(src + <usize>i), reverse));
  for (; i < n; i++) store<u8>(dst + <usize>(n - 1 - i), load<u8>(src + <usize>i));
}

/** A code longer than the look-ahead: (length << 8) | symbol, or 0 when no code of up to 16 bits matches. */
function longCode(t: usize, w: u32): u32 {
  let len: u32 = LOOKAHEAD + 1;
  while (len <= 16 && <i32>(w >>> (32 - len)) > load<i32>(t + T_MAXCODE + (<usize>len << 2))) len++;
  if (len > 16) return 0;
  return (len << 8) | <u32>load<u8>(t + T_VALUES + <usize>(load<i32>(t + T_VALOFF + (<usize>len << 2)) + <i32>(w >>> (32 - len))));
}

/** Set when a block held an invalid code; the scan then stops with status 2. */
let badCode = false;

/** One block at bit `bp` into `blk` (64 int32, natural order); `pred` is the component's DC predictor. Returns the new bp. */
function decodeBlock(data: usize, bp: u32, dc: usize, ac: usize, blk: usize, pred: usize, zz: usize): u32 {
  let w = bitWindow(data, bp);
  let e = <u32>load<u16>(dc + (<usize>(w >>> SHIFT) << 1));
  if (e == 0) {
    e = longCode(dc, w);
    if (e == 0) { badCode = true; return bp; }
  }
  const t = e & 0xff;
  bp += e >> 8;
  let diff: i32 = 0;
  if (t != 0) {
    w = bitWindow(data, bp);
    const v = <i32>(w >>> (32 - t));
    diff = v < (1 << (t - 1)) ? v - (1 << t) + 1 : v;
    bp += t;
  }
  const p = load<i32>(pred) + diff;
  store<i32>(pred, p);
  store<i32>(blk, p);
  const fast = ac + T_FAST, pairs = ac + T_PAIR;
  let k: u32 = 1;
  while (k < 64) {
    w = bitWindow(data, bp);
    const f = load<i32>(fast + (<usize>(w >>> SHIFT) << 2));
    if (f != 0) {
      const v = f >> 8;
      if (v == 0) { bp += <u32>(f & 15); break; }
      k += <u32>((f >> 4) & 15);
      store<i32>(blk + (<usize>load<u8>(zz + <usize>k) << 2), v);
      k++;
      // A block whose last coefficient is the 63rd has no end-of-block code: the next bits are the next block's.
      if (k > 63) { bp += <u32>(f & 15); break; }
      const g = load<i32>(pairs + (<usize>(w >>> PAIR_SHIFT) << 2));
      bp += <u32>(g & 15);
      if (g & (1 << 13)) break;
      store<i32>(blk + (<usize>load<u8>(zz + <usize>(k + <u32>((g >> 4) & 15))) << 2), g >> 14);
      k += <u32>((g >> 8) & 31);
      continue;
    }
    e = <u32>load<u16>(ac + (<usize>(w >>> SHIFT) << 1));
    if (e == 0) {
      e = longCode(ac, w);
      if (e == 0) { badCode = true; return bp; }
    }
    const rs = e & 0xff;
    bp += e >> 8;
    const size = rs & 15, run = rs >> 4;
    if (size == 0) {
      if (run < 15) break;
      k += 16;
      continue;
    }
    k += run;
    w = bitWindow(data, bp);
    const v = <i32>(w >>> (32 - size));
    store<i32>(blk + (<usize>load<u8>(zz + <usize>k) << 2), v < (1 << (size - 1)) ? v - (1 << size) + 1 : v);
    bp += size;
    k++;
  }
  return bp;
}

/**
 * Decodes and transforms a whole scan: `total` MCUs, `mcusPerRow` to a row, restart every `interval` MCUs into
 * the next of `segmentCount` (start, end) byte ranges of `data` at `segments`. A slot here is 4 int32:
 * component descriptor, dy, dx, DC table, then AC table at +16 and predictor index at +20 (6 int32 in all, 24
 * bytes). Each component descriptor's pixel pointer (int32 2) is its whole plane; rows of MCUs go down it.
 * Returns 0, 1 when the data ends before the blocks do (or a restart interval is missing), 2 on an invalid code.
 */
export function decodeScan(
  data: usize, segments: usize, segmentCount: i32, interval: i32, total: i32, mcusPerRow: i32,
  slots: usize, slotCount: i32, coefs: usize, preds: usize, zz: usize, constants: usize, scratch: usize,
): i32 {
  badCode = false;
  let segment: i32 = 0;
  let bp: u32 = <u32>load<i32>(segments) << 3;
  let limit: u32 = <u32>load<i32>(segments, 4) << 3;
  let inRow: i32 = 0, mrow: i32 = 0;
  memory.fill(preds, 0, 16);
  for (let mcu: i32 = 0; mcu < total; mcu++) {
    if (mcu > 0 && mcu % interval == 0) {
      segment++;
      if (segment >= segmentCount) return 1;
      bp = <u32>load<i32>(segments + (<usize>segment << 3)) << 3;
      limit = <u32>load<i32>(segments + (<usize>segment << 3), 4) << 3;
      memory.fill(preds, 0, 16);
    }
    let blk = coefs + <usize>(inRow * slotCount) * 256;
    for (let s: i32 = 0; s < slotCount; s++, blk += 256) {
      const slot = slots + <usize>s * 24;
      bp = decodeBlock(data, bp, <usize>load<i32>(slot, 12), <usize>load<i32>(slot, 16), blk, preds + (<usize>load<i32>(slot, 20) << 2), zz);
      if (badCode) return 2;
    }
    if (bp > limit) return 1;
    if (++inRow == mcusPerRow || mcu == total - 1) {
      transformRows(coefs, inRow, slots, slotCount, constants, scratch, mrow, 24);
      inRow = 0;
      mrow++;
    }
  }
  return 0;
}
