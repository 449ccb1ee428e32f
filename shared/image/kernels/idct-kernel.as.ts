// The inverse DCT kernel of image-kernels.wasm (entry: image-kernels.as.ts).
//
// Inverse DCTs of a sequential JPEG scan, one MCU row at a time, bit for bit the float64 arithmetic of
// shared/image/jpeg/idct.ts (same operations in the same order; wasm never fuses them), so a photo decodes to
// the same bytes with or without the kernel. The Huffman decoder (scan-kernel.as.ts) fills `coefs` with a row's blocks
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
export function transformRows(coefs: usize, mcuCount: i32, slots: usize, slotCount: i32, constants: usize, scratch: usize, mrow: i32, slotBytes: usize): void {
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
