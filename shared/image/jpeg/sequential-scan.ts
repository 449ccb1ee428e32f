import { UndecodableImageError } from '../../errors.ts';
import { LOOKAHEAD, PAIR_BITS, type HuffmanTable } from './huffman.ts';
import { idctBlock, type IdctSize } from './idct.ts';
import { KERNEL_IDCT_SIZES, KERNEL_SCAN_MAX_BYTES, type ImageKernels } from '../image-kernels.ts';
import type { ImageRuntime } from '../image-runtime.ts';

/** Zig-zag position -> natural (row-major) position in an 8x8 block; 16 spare entries absorb corrupt runs. */
export const ZIGZAG = new Uint8Array([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
  54, 47, 55, 62, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

/** What a sequential scan needs of a frame component. */
export interface ScanComponent {
  h: number;
  v: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  idctSize: IdctSize;
  plane: Uint8ClampedArray;
  planeStride: number;
  dcTable: HuffmanTable | null;
  acTable: HuffmanTable | null;
  /** The prepared dequantiser for `idctSize`. */
  scanQuant: Float32Array | null;
}

/** Turns a 32-bit window into the LOOKAHEAD-bit table index. */
const SHIFT = 32 - LOOKAHEAD;
const PAIR_SHIFT = 32 - PAIR_BITS;

/** The natural-order positions each IDCT size reads: the rest of a block is decoded but never looked at. */
function usedPositions(size: IdctSize): Uint8Array {
  const k = Math.min(size, 8);
  const used: number[] = [];
  for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) used.push(r * 8 + c);
  return Uint8Array.from(used);
}

/**
 * Upper bound on the bytes one MCU can consume (10 blocks of 64 codes of 16 bits plus 11 magnitude bits),
 * plus the 4 bytes of one 32-bit read: this much padding after the data keeps every read in bounds
 * between two overrun checks. Its content does not matter: a block that reaches into it has consumed bits
 * past the end, which the next check turns into an error.
 */
const PAD = 10 * 64 * 4 + 8;

/**
 * The entropy-coded data of one scan with the 0xFF00 byte stuffing removed, cut at restart markers:
 * interval i occupies bytes `starts[i] .. ends[i]` of `data`. `next` is the position (in the input) of
 * the marker that ends the scan.
 */
interface CleanScan {
  data: Uint8Array;
  starts: number[];
  ends: number[];
  next: number;
}

/** The runtime's scratch buffer holds the copy (see ScanScratch); without a runtime each scan gets its own. */
function cleanScan(bytes: Uint8Array, start: number, runtime: ImageRuntime | undefined): CleanScan {
  const n = bytes.length;
  const size = n - start + PAD;
  const data = runtime ? runtime.scanScratch.take(size) : new Uint8Array(size);
  const starts = [0];
  const ends: number[] = [];
  let o = 0;
  let p = start;
  for (;;) {
    // indexOf is native (memchr): the stretches between 0xFF bytes are copied in one go.
    const ff = bytes.indexOf(0xff, p);
    const stop = ff < 0 ? n : ff;
    data.set(bytes.subarray(p, stop), o);
    o += stop - p;
    if (ff < 0 || ff + 1 >= n) {
      ends.push(o);
      return { data, starts, ends, next: n };
    }
    const next = bytes[ff + 1];
    if (next === 0) {
      data[o++] = 0xff;
      p = ff + 2;
    } else if (next >= 0xd0 && next <= 0xd7) {
      ends.push(o);
      starts.push(o);
      p = ff + 2;
    } else {
      ends.push(o);
      return { data, starts, ends, next: ff };
    }
  }
}

/**
 * A code longer than the look-ahead, read canonically from the 32-bit window `w` (the next bits first):
 * `(length << 8) | symbol`, like a look-up table entry.
 */
function decodeLongCode(table: HuffmanTable, w: number): number {
  let len = LOOKAHEAD + 1;
  while ((w >>> (32 - len)) > table.maxCode[len]) len++;
  if (len > 16) throw new UndecodableImageError('corrupt JPEG: invalid Huffman code in the image data');
  return (len << 8) | table.values[table.valueOffset[len] + (w >>> (32 - len))];
}

function truncated(): UndecodableImageError {
  return new UndecodableImageError('truncated or corrupt JPEG: the image data ends before all blocks are decoded');
}

/**
 * Decodes the Huffman codes of one block at bit `bp` into `blk` (natural order; only the positions the caller
 * clears are guaranteed to start at zero) and updates the DC predictor `pred[ci]`; returns the bit position
 * after the block. A function of its own, called once per block, rather than inline in the scan loop: V8 then
 * optimises it by its call count, so its fast code is in place by the next block, while a long loop of inline
 * code waits for on-stack replacement, which in workerd can run in slower tiers for dozens of requests (seen
 * after the decode met a new image shape).
 */
function decodeBlock(view: DataView, bp: number, dc: HuffmanTable, ac: HuffmanTable, blk: Int32Array, pred: Int32Array, ci: number): number {
  // DC: a code (usually in the look-up table), then that many magnitude bits.
  let w = view.getUint32(bp >>> 3) << (bp & 7);
  let e = dc.lookup[w >>> SHIFT];
  if (e === 0) e = decodeLongCode(dc, w);
  const t = e & 0xff;
  bp += e >> 8;
  let diff = 0;
  if (t !== 0) {
    w = view.getUint32(bp >>> 3) << (bp & 7);
    const v = w >>> (32 - t);
    diff = v < 1 << (t - 1) ? v - (1 << t) + 1 : v;
    bp += t;
  }
  pred[ci] += diff;
  blk[0] = pred[ci];

  // AC: most code + magnitude pairs come out of one look-up in acFast.
  const fast = ac.acFast;
  const zz = ZIGZAG;
  const pairs = ac.acPair;
  for (let k = 1; k < 64;) {
    w = view.getUint32(bp >>> 3) << (bp & 7);
    const f = fast[w >>> SHIFT];
    if (f !== 0) {
      const v = f >> 8;
      if (v === 0) {
        bp += f & 15;
        break;
      }
      k += (f >> 4) & 15;
      blk[zz[k]] = v;
      k++;
      // A block whose last coefficient is the 63rd has no end-of-block code: the next bits are the next block's.
      if (k > 63) {
        bp += f & 15;
        break;
      }
      const g = pairs[w >>> PAIR_SHIFT];
      bp += g & 15;
      if (g & (1 << 13)) break;
      blk[zz[k + ((g >> 4) & 15)]] = g >> 14;
      k += (g >> 8) & 31;
      continue;
    }
    e = ac.lookup[w >>> SHIFT];
    if (e === 0) e = decodeLongCode(ac, w);
    const rs = e & 0xff;
    bp += e >> 8;
    const size = rs & 15, run = rs >> 4;
    if (size === 0) {
      if (run < 15) break;
      k += 16;
      continue;
    }
    k += run;
    w = view.getUint32(bp >>> 3) << (bp & 7);
    const v = w >>> (32 - size);
    blk[zz[k]] = v < 1 << (size - 1) ? v - (1 << size) + 1 : v;
    bp += size;
    k++;
  }
  return bp;
}

/**
 * Decodes one sequential (baseline or extended Huffman) scan and inverse-transforms every block into its
 * component's plane. The whole scan is first copied without byte stuffing, so reading the next bits is one
 * big-endian 32-bit load at a bit position: no refill branches, no per-bit bookkeeping, all state in locals.
 * Consuming bits past the end of a restart interval (or of the data) means the data is truncated or corrupt,
 * and throws; this is checked after every MCU, which also bounds the work on corrupt data.
 * `runtime` brings the wasm kernel and the scratch buffer; without it the JavaScript path runs.
 * Returns the position of the marker after the scan.
 */
export function decodeSequentialScan(
  bytes: Uint8Array, start: number, comps: ScanComponent[], mcusPerLine: number, mcusPerColumn: number,
  restartInterval: number, runtime?: ImageRuntime,
): number {
  const scan = cleanScan(bytes, start, runtime);
  const kernels = runtime?.kernels;
  if (kernels && comps.every((c) => KERNEL_IDCT_SIZES.includes(c.idctSize))) {
    if (decodeScanWithKernels(kernels, scan, comps, mcusPerLine, mcusPerColumn, restartInterval)) return scan.next;
  }
  // Everything the loop and the return read of \`scan\` is read here, before the loop: V8 compiles the loop
  // on the fly during the first call (on-stack replacement), and a property read after it with no type
  // feedback yet would throw that code away at the end of every later call.
  const { starts, ends, next } = scan;
  const view = new DataView(scan.data.buffer, scan.data.byteOffset, scan.data.byteLength);
  const blk = new Int32Array(64);
  const single = comps.length === 1;
  // One entry per block of an MCU, in coding order.
  const slots: { c: ScanComponent; dy: number; dx: number; ci: number }[] = [];
  comps.forEach((c, ci) => {
    if (single) slots.push({ c, dy: 0, dx: 0, ci });
    else for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) slots.push({ c, dy: v, dx: h, ci });
  });
  const pred = new Int32Array(comps.length);
  // Only the positions the largest IDCT of the scan reads need to be zero before the next block; the
  // others are written but never read.
  const used = usedPositions(Math.max(...comps.map((c) => c.idctSize)));
  const c0 = comps[0];
  const mcusPerRow = single ? c0.blocksPerLine : mcusPerLine;
  const total = single ? c0.blocksPerLine * c0.blocksPerColumn : mcusPerLine * mcusPerColumn;
  const interval = restartInterval > 0 ? restartInterval : total;

  let segment = 0;
  let bp = 0;
  let limit = ends[0] * 8;
  for (let mcu = 0; mcu < total; mcu++) {
    if (mcu > 0 && mcu % interval === 0) {
      segment++;
      if (segment >= starts.length) throw truncated();
      bp = starts[segment] * 8;
      limit = ends[segment] * 8;
      pred.fill(0);
    }
    const mrow = (mcu / mcusPerRow) | 0;
    const mcol = mcu - mrow * mcusPerRow;
    for (let s = 0; s < slots.length; s++) {
      const { c, dy, dx, ci } = slots[s];
      const row = single ? mrow : mrow * c.v + dy;
      const col = single ? mcol : mcol * c.h + dx;
      bp = decodeBlock(view, bp, c.dcTable!, c.acTable!, blk, pred, ci);
      const n = c.idctSize;
      idctBlock(blk, 0, c.scanQuant!, c.plane, row * n * c.planeStride + col * n, c.planeStride, n);
      for (let i = 0; i < used.length; i++) blk[used[i]] = 0;
    }
    if (bp > limit) throw truncated();
  }
  return next;
}

/**
 * {@link decodeSequentialScan} in the WebAssembly kernel: the same Huffman reads and bit for bit the same
 * inverse DCTs, run over the whole scan inside the kernel, then the planes copied out. Returns false when the
 * scan is too big for the kernel's memory (it stays in JavaScript then).
 */
function decodeScanWithKernels(
  kernels: ImageKernels, scan: CleanScan, comps: ScanComponent[], mcusPerLine: number, mcusPerColumn: number,
  restartInterval: number,
): boolean {
  const { data, starts, ends } = scan;
  const planeBytes = comps.reduce((sum, c) => sum + c.plane.length, 0);
  // The kernel holds the data twice (as read and reversed) besides the planes.
  if (2 * ends[ends.length - 1] + planeBytes > KERNEL_SCAN_MAX_BYTES) return false;
  const single = comps.length === 1;
  const slots: { component: number; dy: number; dx: number; dc: HuffmanTable; ac: HuffmanTable }[] = [];
  comps.forEach((c, ci) => {
    if (single) slots.push({ component: ci, dy: 0, dx: 0, dc: c.dcTable!, ac: c.acTable! });
    else for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) slots.push({ component: ci, dy: v, dx: h, dc: c.dcTable!, ac: c.acTable! });
  });
  const c0 = comps[0];
  const total = single ? c0.blocksPerLine * c0.blocksPerColumn : mcusPerLine * mcusPerColumn;
  const status = kernels.decodeScan({
    data, starts, ends, slots, total, zigzag: ZIGZAG,
    components: comps.map((c) => ({
      idctSize: c.idctSize, quant: c.scanQuant!, plane: c.plane, planeStride: c.planeStride,
      rowsPerMcuRow: (single ? 1 : c.v) * c.idctSize, blocksAcross: single ? 1 : c.h,
    })),
    mcusPerRow: single ? c0.blocksPerLine : mcusPerLine,
    interval: restartInterval > 0 ? restartInterval : total,
  });
  if (status === 'truncated') throw truncated();
  if (status === 'bad-code') throw new UndecodableImageError('corrupt JPEG: invalid Huffman code in the image data');
  return true;
}
