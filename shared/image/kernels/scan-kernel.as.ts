// The JPEG scan kernel of image-kernels.wasm (entry: image-kernels.as.ts).
import * as layout from '../jpeg/huffman-layout';
import { transformRows } from './idct-kernel.as';
//
// The Huffman decoding of a whole sequential scan, feeding the inverse DCTs of idct-kernel.as.ts: the same reads as
// decodeBlock in shared/image/jpeg/sequential-scan.ts (one big-endian 32-bit window per symbol from the scan
// copied without byte stuffing, acFast for most coefficients, acPair for a second one), with the tables as
// huffman.ts builds them, copied in by the caller at the offsets of ../jpeg/huffman-layout.ts (the one source of
// that layout for both sides): lookup (u16), acFast (i32), acPair (i32), maxCode (i32, 18), valueOffset (i32, 18), values (u8).

const LOOKAHEAD: u32 = <u32>layout.LOOKAHEAD;
const SHIFT: u32 = 32 - LOOKAHEAD;
const PAIR_SHIFT: u32 = 32 - <u32>layout.PAIR_BITS;
const T_FAST: usize = <usize>layout.TABLE_AC_FAST;
const T_PAIR: usize = <usize>layout.TABLE_AC_PAIR;
const T_MAXCODE: usize = <usize>layout.TABLE_MAX_CODE;
const T_VALOFF: usize = <usize>layout.TABLE_VALUE_OFFSET;
const T_VALUES: usize = <usize>layout.TABLE_VALUES;

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
