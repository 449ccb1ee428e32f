// The resize kernel of image-kernels.wasm (entry: image-kernels.as.ts).
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
